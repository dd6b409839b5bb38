import { describe, expect, it } from 'vitest';
import { Emitter } from '../../../common/emitter.ts';

describe('Emitter', () => {
  it('tells every listener in order, and stops telling one that unsubscribed', () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    const offA = emitter.on((n) => seen.push(`a${n}`));
    emitter.on((n) => seen.push(`b${n}`));
    emitter.emit(1);
    offA();
    emitter.emit(2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(emitter.size).toBe(1);
  });

  it('keeps telling the others when one listener throws, and hands the errors back', () => {
    const emitter = new Emitter<string>();
    const seen: string[] = [];
    emitter.on(() => {
      throw new Error('listener broke');
    });
    emitter.on((s) => seen.push(s));
    const errors = emitter.emit('x');
    expect(seen).toEqual(['x']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('listener broke');
  });

  it('a listener that unsubscribes during an event does not skip the next listener', () => {
    const emitter = new Emitter<void>();
    const seen: string[] = [];
    const off = emitter.on(() => {
      seen.push('first');
      off();
    });
    emitter.on(() => seen.push('second'));
    emitter.emit();
    emitter.emit();
    expect(seen).toEqual(['first', 'second', 'second']);
  });
});
