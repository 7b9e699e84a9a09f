import type { ISettingRegistry } from '@jupyterlab/settingregistry';

/**
 * The extension's settings, loaded once per registry and shared by every
 * plugin that reads them (the sidebar plugin and the progress plugin), so
 * they read one `ISettings` and hear the same `changed` signal.
 */
export function sharedSettings(
  registry: ISettingRegistry,
  pluginId: string
): Promise<ISettingRegistry.ISettings> {
  let byId = Private.loads.get(registry);
  if (!byId) {
    byId = new Map();
    Private.loads.set(registry, byId);
  }
  let loaded = byId.get(pluginId);
  if (!loaded) {
    loaded = registry.load(pluginId);
    byId.set(pluginId, loaded);
  }
  return loaded;
}

/**
 * Apply the extension's settings now and whenever they change; a load that
 * fails is logged (the plugin keeps its defaults).
 */
export function followSettings(
  registry: ISettingRegistry,
  pluginId: string,
  apply: (settings: ISettingRegistry.ISettings) => void
): void {
  sharedSettings(registry, pluginId)
    .then(settings => {
      apply(settings);
      settings.changed.connect(() => apply(settings));
    })
    .catch(reason => console.error('jupyterlab-asyncresult: settings not loaded', reason));
}

namespace Private {
  export const loads = new WeakMap<
    ISettingRegistry,
    Map<string, Promise<ISettingRegistry.ISettings>>
  >();
}
