// Tests run the crypto the Node side ships with (sodium-native); test/unit/main/crypto-backends.test.ts
// holds it to the wasm build the page uses.
import { useNativeCrypto } from '../../main/native-crypto.ts';

const crypto = useNativeCrypto();
if (crypto.fallbackReason) throw new Error(`sodium-native did not load: ${crypto.fallbackReason}`);
