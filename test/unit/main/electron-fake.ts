/**
 * A stand-in for the parts of Electron that main/electron/app.ts uses, so the shell's real code
 * can run under Node (Electron's binary cannot be installed here). The test bundles app.ts with
 * 'electron' resolved to this file; what the shell registers lands in `fakeElectron()` for the
 * test to drive as Electron would.
 */
type Listener = (...args: unknown[]) => unknown;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener): this {
    return this.on(event, listener);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }
}

export class FakeWebContents extends Emitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly mainFrame = { url: '', routingId: 1 };
  readonly sent: unknown[][] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  destroyed = false;
  getURL(): string {
    return this.mainFrame.url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Where the page's ipcRenderer listens, when a test puts a preload on this contents. */
  deliver: ((...args: unknown[]) => void) | undefined;
  send(...args: unknown[]): void {
    this.sent.push(args);
    this.deliver?.(...args);
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

export interface FakeElectronState {
  singleInstance: boolean;
  appPath: string;
  quitCalls: number;
  sandboxEnabled: boolean;
  app: Emitter;
  windows: FakeBrowserWindow[];
  ipcHandlers: Map<string, Listener>;
  protocolHandlers: Map<string, (request: Request) => Promise<Response>>;
  privilegedSchemes: unknown[];
  permissionRequestHandler?: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
  permissionCheckHandler?: (contents: unknown, permission: string) => boolean;
  beforeRequest?: (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void;
  /** What the shell told the session's spell checker: left undefined when it never said. */
  spellCheckerEnabled?: boolean;
  dictionaryDownloadUrl?: string;
  openedExternally: string[];
  menu: Array<{ label?: string; role?: string; submenu?: Array<{ label?: string; accelerator?: string; click?: () => void; role?: string }> }>;
  powerMonitor: Emitter;
}

function freshState(): FakeElectronState {
  return {
    singleInstance: true,
    appPath: '',
    quitCalls: 0,
    sandboxEnabled: false,
    app: new Emitter(),
    windows: [],
    ipcHandlers: new Map(),
    protocolHandlers: new Map(),
    privilegedSchemes: [],
    openedExternally: [],
    menu: [],
    powerMonitor: new Emitter(),
  };
}

const store = globalThis as { __hearthFakeElectron?: FakeElectronState };
/** Shared through globalThis: the test and each bundled copy of app.ts see the same Electron. */
const state: FakeElectronState = (store.__hearthFakeElectron ??= freshState());

export function fakeElectron(): FakeElectronState {
  return store.__hearthFakeElectron!;
}

/** A new Electron for the next copy of app.ts to start in (a bundle reads it when it loads). */
export function resetFakeElectron(): FakeElectronState {
  store.__hearthFakeElectron = freshState();
  return store.__hearthFakeElectron;
}

export class FakeBrowserWindow extends Emitter {
  readonly webContents = new FakeWebContents();
  shown = false;
  constructor(readonly options: unknown) {
    super();
    state.windows.push(this);
    state.app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.webContents.mainFrame.url = url;
    this.emit('ready-to-show');
  }
  show(): void {
    this.shown = true;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  focus(): void {}
}

export const app = {
  requestSingleInstanceLock: () => state.singleInstance,
  quit: () => void (state.quitCalls += 1),
  enableSandbox: () => void (state.sandboxEnabled = true),
  whenReady: async () => undefined,
  getAppPath: () => state.appPath,
  isPackaged: false,
  on: (event: string, listener: Listener) => state.app.on(event, listener),
};
export const BrowserWindow = FakeBrowserWindow;
export const ipcMain = { handle: (channel: string, handler: Listener) => void state.ipcHandlers.set(channel, handler) };
export const powerMonitor = state.powerMonitor;
export const protocol = {
  registerSchemesAsPrivileged: (schemes: unknown[]) => void state.privilegedSchemes.push(...schemes),
  handle: (scheme: string, handler: (request: Request) => Promise<Response>) => void state.protocolHandlers.set(scheme, handler),
};
export const session = {
  defaultSession: {
    setPermissionRequestHandler: (handler: FakeElectronState['permissionRequestHandler']) => void (state.permissionRequestHandler = handler),
    setPermissionCheckHandler: (handler: FakeElectronState['permissionCheckHandler']) => void (state.permissionCheckHandler = handler),
    webRequest: { onBeforeRequest: (handler: FakeElectronState['beforeRequest']) => void (state.beforeRequest = handler) },
    setSpellCheckerEnabled: (enabled: boolean) => void (state.spellCheckerEnabled = enabled),
    setSpellCheckerDictionaryDownloadURL: (url: string) => void (state.dictionaryDownloadUrl = url),
  },
};
export const shell = { openExternal: async (url: string) => void state.openedExternally.push(url) };
export const safeStorage = {
  isEncryptionAvailable: () => false,
  getSelectedStorageBackend: () => 'basic_text',
  encryptString: (text: string) => Buffer.from(text),
  decryptString: (bytes: Buffer) => bytes.toString(),
};
export const Menu = {
  buildFromTemplate: (template: FakeElectronState['menu']) => template,
  setApplicationMenu: (menu: FakeElectronState['menu']) => void (state.menu = menu),
};
