package dev.quiver.server.telemetry;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One scrape of a metrics endpoint, parsed: every sample by its series as printed
 * ({@code name{label="value",...}}; labels in the order the exposition writes them, alphabetical).
 */
record Scrape(String text, Map<String, Double> samples) {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  static HttpResponse<String> get(int port, String path, String accept) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10));
    if (accept != null) {
      request.header("Accept", accept);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static Scrape of(int port) throws Exception {
    HttpResponse<String> response = get(port, "/metrics", null);
    if (response.statusCode() != 200) {
      throw new AssertionError("scrape answered " + response.statusCode() + ": " + response.body());
    }
    return parse(response.body());
  }

  static Scrape parse(String text) {
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return new Scrape(text, Map.copyOf(samples));
  }

  /** The sample's value, 0 if the series is absent (a counter not yet incremented). */
  double value(String series) {
    return samples.getOrDefault(series, 0.0);
  }

  boolean has(String series) {
    return samples.containsKey(series);
  }

  /** Whether any series of metric {@code name} (with or without labels) is present. */
  boolean hasMetric(String name) {
    return samples.keySet().stream().anyMatch(s -> s.equals(name) || s.startsWith(name + "{"));
  }

  static String calls(String method, String status) {
    return "quiver_calls_total{method=\"" + method + "\",status=\"" + status + "\"}";
  }
}
