using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using BitFusion.Net.Diagnostics;

namespace BitFusion.Host.Metrics;

/// <summary>
/// Listens to the <c>BitFusion</c> meter and renders what it saw in the Prometheus text format (version 0.0.4):
/// counters as <c>_total</c>, histograms as cumulative <c>_bucket</c>/<c>_sum</c>/<c>_count</c>, units as suffixes.
/// A measurement finds its series by a linear scan over the few series a node has (one per instrument and tag set),
/// so recording allocates nothing after a series' first value.
/// </summary>
internal sealed class PrometheusCollector : IDisposable
{
    /// <summary>Bucket bounds, seconds: 10 µs (a loopback update) up to 10 s (a large rebuild).</summary>
    private static readonly double[] Bounds = [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    // Taken by every measurement, possibly under a node's lock; never held while observable callbacks run, since
    // those take node locks themselves.
    private readonly Lock _gate = new();
    private readonly Lock _scrape = new();
    private readonly List<Series> _series = [];

    public PrometheusCollector()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BitFusionMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        BitFusionMetrics.EnsureCreated();
    }

    /// <summary>Reads every observable instrument, then renders all series.</summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            lock (_gate)
            {
                foreach (IGrouping<Instrument, Series> instrument in _series.GroupBy(s => s.Instrument))
                    Render(text, instrument.Key, instrument);
            }
            return text.ToString();
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_gate)
        {
            Series series = Find(instrument, tags);
            if (series.Buckets is { } buckets)
            {
                int b = 0;
                while (b < Bounds.Length && value > Bounds[b]) b++;
                buckets[b]++;
                series.Sum += value;
                series.Count++;
            }
            else if (instrument.IsObservable) series.Sum = value;
            else series.Sum += value;
        }
    }

    private Series Find(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (Series s in _series)
            if (s.Instrument == instrument && s.Matches(tags)) return s;
        var created = new Series(instrument, tags.ToArray(), instrument is Histogram<double> ? new long[Bounds.Length + 1] : null);
        _series.Add(created);
        return created;
    }

    private static void Render(StringBuilder text, Instrument instrument, IEnumerable<Series> series)
    {
        string name = instrument.Name.Replace('.', '_');
        string unit = instrument.Unit switch { "s" => "_seconds", "By" => "_bytes", _ => "" };
        if (!name.EndsWith(unit, StringComparison.Ordinal)) name += unit;
        bool counter = instrument is Counter<long> or ObservableCounter<long>;
        bool histogram = instrument is Histogram<double>;
        if (counter) name += "_total";
        text.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(counter ? "counter" : histogram ? "histogram" : "gauge").Append('\n');
        foreach (Series s in series)
        {
            if (s.Buckets is not { } buckets)
            {
                Sample(text, name, s.Tags, null, s.Sum);
                continue;
            }
            long cumulative = 0;
            for (int b = 0; b < buckets.Length; b++)
            {
                cumulative += buckets[b];
                Sample(text, name + "_bucket", s.Tags, b < Bounds.Length ? Number(Bounds[b]) : "+Inf", cumulative);
            }
            Sample(text, name + "_sum", s.Tags, null, s.Sum);
            Sample(text, name + "_count", s.Tags, null, s.Count);
        }
    }

    private static void Sample(StringBuilder text, string name, KeyValuePair<string, object?>[] tags, string? le, double value)
    {
        text.Append(name);
        if (tags.Length > 0 || le is not null)
        {
            text.Append('{');
            string separator = "";
            foreach ((string key, object? tag) in tags)
            {
                text.Append(separator).Append(key).Append("=\"").Append(Escape(Convert.ToString(tag, CultureInfo.InvariantCulture) ?? "")).Append('"');
                separator = ",";
            }
            if (le is not null) text.Append(separator).Append("le=\"").Append(le).Append('"');
            text.Append('}');
        }
        text.Append(' ').Append(Number(value)).Append('\n');
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    public void Dispose() => _listener.Dispose();

    private sealed class Series(Instrument instrument, KeyValuePair<string, object?>[] tags, long[]? buckets)
    {
        public Instrument Instrument { get; } = instrument;
        public KeyValuePair<string, object?>[] Tags { get; } = tags;
        public long[]? Buckets { get; } = buckets;
        public double Sum;
        public long Count;

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != Tags.Length) return false;
            for (int i = 0; i < tags.Length; i++)
                if (tags[i].Key != Tags[i].Key || !Equals(tags[i].Value, Tags[i].Value)) return false;
            return true;
        }
    }
}
