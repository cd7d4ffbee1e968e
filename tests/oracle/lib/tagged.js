'use strict';

// The tagged JSON contract shared with eggsec's `config --format json`:
// plain JSON for plain values; {"$function": name}, {"$regex": "/src/flags"}, {"$set": [...]},
// {"$buffer": length}, {"$number": "Infinity"} for non-finite numbers, and {"$object": "CtorName"}
// for any other non-plain object. Keys whose value is undefined are omitted (egg's extend2 never
// copies undefined). A reference back to an ancestor becomes {"$circular": "<path of ancestor>"}.

function isPlainObject(v) {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function ctorName(v) {
  const ctor = v && v.constructor;
  return (ctor && typeof ctor.name === 'string' && ctor.name) || 'Object';
}

/** Serialises `value` to a JSON-compatible tree following the tagged contract. */
function toTagged(value) {
  const ancestors = new Map(); // object -> path
  function walk(v, path) {
    if (v === null) return null;
    switch (typeof v) {
      case 'undefined':
        return undefined;
      case 'boolean':
      case 'string':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : { $number: String(v) };
      case 'bigint':
        return { $object: 'BigInt' };
      case 'symbol':
        return { $object: 'Symbol' };
      case 'function':
        return { $function: v.name || '' };
      default:
        break;
    }
    if (v instanceof RegExp) return { $regex: String(v) };
    if (Buffer.isBuffer(v)) return { $buffer: v.length };
    if (ancestors.has(v)) return { $circular: ancestors.get(v) };
    ancestors.set(v, path);
    try {
      if (Array.isArray(v)) {
        return v.map((x, i) => {
          const t = walk(x, `${path}[${i}]`);
          return t === undefined ? null : t;
        });
      }
      if (v instanceof Set) {
        return { $set: [ ...v ].map((x, i) => {
          const t = walk(x, `${path}[${i}]`);
          return t === undefined ? null : t;
        }) };
      }
      if (!isPlainObject(v)) return { $object: ctorName(v) };
      const out = {};
      for (const key of Object.keys(v)) {
        const t = walk(v[key], path ? `${path}.${key}` : key);
        if (t !== undefined) out[key] = t;
      }
      return out;
    } finally {
      ancestors.delete(v);
    }
  }
  return walk(value, '');
}

module.exports = { toTagged };
