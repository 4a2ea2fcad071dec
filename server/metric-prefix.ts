// K8 Highlander's metric prefix, shared by the modules that define its metrics.

/** Every K8 Highlander metric name starts with this. */
export const P = 'k8_highlander_';
