'use strict';

exports.pageDoc = { enable: true };
