'use strict';

const { Controller } = require('egg');

class ProductController extends Controller {
  async index() {
    const { ctx } = this;
    ctx.body = await ctx.service.product.list({ q: ctx.query.q });
  }

  async show() {
    const { ctx } = this;
    const product = await ctx.service.product.find(ctx.params.id);
    if (!product) ctx.throw(404, 'product not found');
    ctx.body = product;
  }
}

module.exports = ProductController;
