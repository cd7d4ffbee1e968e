'use strict';

module.exports = require('./lib/framework');
