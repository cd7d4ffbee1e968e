'use strict';

// What tests/oracle/dump.js and tests/oracle/corpus/dump.js print about a loaded egg app besides
// its config: the router's layers, every plugin entry, the names of the middleware functions.

const { toTagged } = require('./tagged');

/** `router.stack` layers: name, methods, path (tagged: a RegExp stays one), middleware names. */
function routes(app) {
  const router = app.router;
  if (!router || !Array.isArray(router.stack)) return [];
  return router.stack.map(layer => ({
    name: layer.name == null ? null : layer.name,
    methods: layer.methods,
    path: toTagged(layer.path),
    stack: (layer.stack || []).map(fn => fn._name || fn.name || 'anonymous'),
  }));
}

/** Every entry of `loader.allPlugins`, enabled or not. */
function plugins(loader) {
  const all = loader.allPlugins || {};
  return Object.keys(all).map(name => {
    const p = all[name];
    return toTagged({
      name,
      enable: !!p.enable,
      package: p.package,
      path: p.path,
      version: p.version,
      env: p.env || [],
      dependencies: p.dependencies || [],
      optionalDependencies: p.optionalDependencies || [],
      implicitEnable: !!p.implicitEnable,
      skipMerge: !!p.skipMerge,
      // the plugin.js that declared it last (egg-core's normalizePluginConfig)
      from: p.from || null,
    });
  });
}

/** Names of the functions in app.middleware, with egg's match/ignore wrapper suffix removed. */
function middlewareNames(app) {
  return (app.middleware || []).map(fn => String(fn._name || fn.name || '').replace(/middlewareWrapper$/, ''));
}

/**
 * midway v1 mounts each `@controller(prefix)` as an EggRouter of its own (midway-web's
 * webLoader.preRegisterRouter → `app.use(router.middleware())`), not on `app.router`: its layers'
 * paths already carry the prefix.
 */
function midwayRoutes(app) {
  const out = [];
  for (const entry of app.loader && app.loader.prioritySortRouters || []) {
    if (entry && entry.router) out.push(...routes({ router: entry.router }));
  }
  return out;
}

module.exports = { routes, midwayRoutes, plugins, middlewareNames };
