'use strict';

const { Controller } = require('egg');

class HealthController extends Controller {
  async index() {
    this.ctx.body = { status: 'ok', version: this.app.config.pkg.version };
  }
}

module.exports = HealthController;
