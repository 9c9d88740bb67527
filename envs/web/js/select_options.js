// The options of a drop-down list as [label, value] pairs, for `select` to match by either, and
// whether the list takes several.
(s) => ({options: Array.from(s.options).map(o => [o.label, o.value]), multiple: s.multiple})
