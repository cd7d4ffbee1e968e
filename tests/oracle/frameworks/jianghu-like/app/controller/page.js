'use strict';

const { Controller } = require('egg');

class PageController extends Controller {
  async index() {
    this.ctx.body = 'framework index';
  }

  async page() {
    this.ctx.body = `framework page ${this.ctx.params.pageName}`;
  }
}

module.exports = PageController;
