'use strict';

const path = require('path');

// jianghu's shape: the framework's own plugins under plugins/, by path
module.exports = {
  pageDoc: {
    enable: true,
    path: path.join(__dirname, '../plugins/page-doc'),
  },
  pageLog: {
    enable: false,
    path: path.join(__dirname, '../plugins/page-log'),
  },
};
