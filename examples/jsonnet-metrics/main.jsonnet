// A metrics collector described in Jsonnet; `replicas` and `interval` are top-level arguments set by
// the Application (spec.source.directory.jsonnet.tlas).
function(replicas=1, interval='30s')
  local name = 'metrics-collector';
  local labels = { app: name };
  [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: name + '-config' },
      data: { 'scrape.yaml': std.manifestYamlDoc({ scrape_interval: interval, targets: ['guestbook', 'shop'] }) },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: name, labels: labels },
      spec: {
        replicas: std.parseInt(std.toString(replicas)),
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: labels },
          spec: { containers: [{ name: 'collector', image: 'otel/opentelemetry-collector:0.110.0' }] },
        },
      },
    },
  ]
