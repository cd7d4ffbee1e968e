'use strict';

const { Controller } = require('egg');

class ResourceController extends Controller {
  async httpRequest() {
    this.ctx.body = { ok: true };
  }
}

module.exports = ResourceController;
