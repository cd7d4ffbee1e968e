'use strict';

const { Service } = require('egg');

const CATALOGUE = [
  { id: '1', name: 'Espresso cup', price: 900 },
  { id: '2', name: 'Pour-over kettle', price: 4500 },
  { id: '3', name: 'Hand grinder', price: 7900 },
];

class ProductService extends Service {
  async list({ q } = {}) {
    if (!q) return CATALOGUE;
    const pattern = new RegExp(q, 'i'); // expect: regexp-built-from-request
    return CATALOGUE.filter(p => pattern.test(p.name));
  }

  async find(id) {
    return CATALOGUE.find(p => p.id === id) || null;
  }
}

module.exports = ProductService;
