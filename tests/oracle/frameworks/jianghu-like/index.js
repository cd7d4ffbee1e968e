'use strict';

// @jianghujs/jianghu 5.0.9's index.js, trimmed to the loader (the real file also overrides
// loadConfig and loadService the same way).
const path = require('path');
const egg = require('egg');
const EGG_PATH = Symbol.for('egg#eggPath');
const EGG_LOADER = Symbol.for('egg#loader');

class AppWorkerLoader extends egg.AppWorkerLoader {

  loadRouter() {
    // super.loadRouter();
    this.initJianghuRouter();
  }

  initJianghuRouter() {
    this.loadController({
      directory: this.getLoadUnits().map(unit => path.join(unit.path, 'app/controller')),
      override: true,
    });
    this.getLoadUnits().reverse().forEach(unit =>
      this.loadFile(path.join(unit.path, 'app/router.js'))
    );
  }
}

class Application extends egg.Application {
  get [EGG_PATH]() {
    return __dirname;
  }

  get [EGG_LOADER]() {
    return AppWorkerLoader;
  }
}

class Agent extends egg.Agent {
  get [EGG_PATH]() {
    return __dirname;
  }
}

module.exports = Object.assign(egg, {
  AppWorkerLoader,
  Application,
  Agent,
});
