// The options of a drop-down list as [label, value] pairs, for `select` to match by either.
(s) => Array.from(s.options).map(o => [o.label, o.value])
