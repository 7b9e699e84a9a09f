import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';
import { followSettings, sharedSettings } from '../settings';

/** A registry that counts its loads and answers each with a new object. */
function countingRegistry(fail = false): ISettingRegistry & { loads: number } {
  const registry = {
    loads: 0,
    load(pluginId: string) {
      registry.loads++;
      return fail
        ? Promise.reject(new Error(`no schema for ${pluginId}`))
        : Promise.resolve({ id: pluginId, n: registry.loads });
    }
  };
  return registry as unknown as ISettingRegistry & { loads: number };
}

describe('sharedSettings', () => {
  it('loads the settings once for every plugin that asks, and gives each the same object', async () => {
    const registry = countingRegistry();
    const [a, b] = await Promise.all([
      sharedSettings(registry, 'jupyterlab-asyncresult:plugin'),
      sharedSettings(registry, 'jupyterlab-asyncresult:plugin')
    ]);
    expect(registry.loads).toBe(1);
    expect(a).toBe(b);
  });

  it('loads again for another registry or another plugin id', async () => {
    const one = countingRegistry();
    const two = countingRegistry();
    await sharedSettings(one, 'x:plugin');
    await sharedSettings(one, 'y:plugin');
    await sharedSettings(two, 'x:plugin');
    expect([one.loads, two.loads]).toEqual([2, 1]);
  });

  it('gives every caller the failure of a load that failed', async () => {
    const registry = countingRegistry(true);
    await expect(sharedSettings(registry, 'z:plugin')).rejects.toThrow('no schema for z:plugin');
    await expect(sharedSettings(registry, 'z:plugin')).rejects.toThrow('no schema for z:plugin');
    expect(registry.loads).toBe(1);
  });
});

describe('followSettings', () => {
  it('applies the settings once loaded and again at every change', async () => {
    const changed = new Signal<unknown, void>({});
    const settings = { changed };
    const registry = { load: () => Promise.resolve(settings) } as unknown as ISettingRegistry;
    const seen: unknown[] = [];
    followSettings(registry, 'f:plugin', s => seen.push(s));
    await Promise.resolve();
    await Promise.resolve();
    expect(seen).toEqual([settings]);
    changed.emit();
    expect(seen).toEqual([settings, settings]);
  });

  it('logs a load that failed and applies nothing', async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const seen: unknown[] = [];
    followSettings(countingRegistry(true), 'g:plugin', s => seen.push(s));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(seen).toEqual([]);
    expect(error).toHaveBeenCalledWith(
      'jupyterlab-asyncresult: settings not loaded',
      expect.any(Error)
    );
    error.mockRestore();
  });
});
