'use strict';

exports.logger = {
  level: 'WARN',
};
