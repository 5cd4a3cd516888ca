using System.Globalization;
using System.Text.Json.Nodes;
using ScottPlot;

/// <summary>The report's PNG plots: rates beside their baselines, latency percentiles, sync lag over time, delivery latency.</summary>
internal static class Plots
{
    private const int Width = 1000, Height = 520;

    public static IEnumerable<(string File, string Title)> Write(
        string folder, IReadOnlyDictionary<string, string> figures, (double Seconds, double Ms)[] lag, IReadOnlyDictionary<string, JsonNode> live)
    {
        double F(string key) => figures.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : double.NaN;

        yield return Save(folder, "throughput.png", "Operations per second, each beside its baseline from the same run", plot =>
            HorizontalBars(plot, "per second",
                [("Q4 over HTTP", 0), ("PostgreSQL alone", 1), ("baselines", 2), ("Q4 reads", 3), ("Q4 sync", 4)],
            [
                ("HTTP bids, spread (accepted)", F("bids.spread.accepted_per_s"), 0),
                ("HTTP bids, one hot auction (accepted)", F("bids.hot.accepted_per_s"), 0),
                ("PostgreSQL bid, spread (pgbench)", F("postgres.spread.accepted_per_s"), 1),
                ("PostgreSQL bid, hot (pgbench)", F("postgres.hot.accepted_per_s"), 1),
                ("raw EVALSHA bid.lua", F("bids.raw_bid_lua.calls_per_s"), 2),
                ("raw EVALSHA cas.lua", F("bids.raw_cas.calls_per_s"), 2),
                ("GET /auctions (live list)", F("reads.list.requests_per_s"), 3),
                ("GET /auctions/{id}", F("reads.auction.requests_per_s"), 3),
                ("GET /alive", F("reads.alive.requests_per_s"), 2),
                ("sync drain (rows)", F("sync.drain_rows_per_s"), 4),
            ]));

        string[] percentiles = ["p50_ms", "p90_ms", "p99_ms", "p999_ms"];
        yield return Save(folder, "latency.png", "Latency percentiles per load (ms, log scale)", plot =>
            GroupedLogBars(plot, ["p50", "p90", "p99", "p99.9"],
            [
                ("bids spread", percentiles.Select(p => F($"bids.spread.{p}")).ToArray()),
                ("bids hot", percentiles.Select(p => F($"bids.hot.{p}")).ToArray()),
                ("fsync always", percentiles.Select(p => F($"durability.always-1.{p}")).ToArray()),
                ("fsync everysec", percentiles.Select(p => F($"durability.everysec.{p}")).ToArray()),
                ("GET /alive", [F("reads.alive.p50_ms"), F("reads.alive.p90_ms"), F("reads.alive.p99_ms"), double.NaN]),
                ("GET list", [F("reads.list.p50_ms"), F("reads.list.p90_ms"), F("reads.list.p99_ms"), double.NaN]),
                ("GET auction", [F("reads.auction.p50_ms"), F("reads.auction.p90_ms"), F("reads.auction.p99_ms"), double.NaN]),
                .. live.Select(l => ($"live via {(l.Key == "api" ? "API" : "front end")}",
                    new[] { "p50Ms", "p90Ms", "p99Ms", "p999Ms" }.Select(k => Value(l.Value[k])).ToArray())),
            ]));

        if (lag.Length > 0)
        {
            yield return Save(folder, "sync-lag.png", "Sync lag during the spread bid load (oldest accepted bid not yet in PostgreSQL)", plot =>
            {
                var line = plot.Add.Scatter(lag.Select(l => l.Seconds).ToArray(), lag.Select(l => l.Ms).ToArray());
                line.MarkerSize = 3;
                plot.XLabel("seconds into the load");
                plot.YLabel("lag, ms");
                plot.Axes.SetLimitsY(0, Math.Max(10, lag.Max(l => l.Ms) * 1.1));
            });
        }

        if (live.Count > 0)
        {
            yield return Save(folder, "live-latency.png", "Live event delivery: from the bid's 201 to the watcher", plot =>
            {
                var series = live.ToArray();
                var buckets = series[0].Value["histogram"]!.AsArray();
                string[] labels = [.. buckets.Select((b, i) => Value(b!["upToMs"]) is var ms && double.IsInfinity(ms)
                    ? $"> {Value(buckets[i - 1]!["upToMs"])}"
                    : $"≤ {ms}")];
                var palette = new ScottPlot.Palettes.Category10();
                var bars = new List<Bar>();
                for (var s = 0; s < series.Length; s++)
                {
                    var histogram = series[s].Value["histogram"]!.AsArray();
                    var total = Math.Max(1, histogram.Sum(b => Value(b!["count"])));
                    for (var i = 0; i < histogram.Count; i++)
                    {
                        bars.Add(new Bar
                        {
                            Position = i * (series.Length + 1) + s,
                            Value = 100 * Value(histogram[i]!["count"]) / total,
                            FillColor = palette.GetColor(s),
                        });
                    }
                    plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Key == "api" ? "straight on one API replica" : "through the front end", FillColor = palette.GetColor(s) });
                }
                plot.Add.Bars(bars);
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                    [.. labels.Select((_, i) => i * (series.Length + 1) + (series.Length - 1) / 2.0)], labels);
                plot.XLabel("delivery latency, ms");
                plot.YLabel("% of deliveries");
                plot.Axes.Margins(bottom: 0);
                plot.ShowLegend(Alignment.UpperRight);
            });
        }
    }

    private static (string, string) Save(string folder, string file, string title, Action<Plot> draw)
    {
        var plot = new Plot();
        draw(plot);
        plot.Title(title);
        plot.SavePng(Path.Combine(folder, file), Width, Height);
        return (file, title);
    }

    private static void HorizontalBars(Plot plot, string axis, (string Label, int Group)[] legend, (string Label, double Value, int Group)[] rows)
    {
        var palette = new ScottPlot.Palettes.Category10();
        rows = [.. rows.Where(r => !double.IsNaN(r.Value))];
        var bars = rows.Select((r, i) => new Bar
        {
            Position = rows.Length - i,
            Value = r.Value,
            FillColor = palette.GetColor(r.Group),
            Label = r.Value.ToString("#,0", CultureInfo.InvariantCulture).Replace(",", " "),
        }).ToList();
        var bar = plot.Add.Bars(bars);
        bar.Horizontal = true;
        bar.ValueLabelStyle.FontSize = 12;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. rows.Select((_, i) => (double)(rows.Length - i))], [.. rows.Select(r => r.Label)]);
        plot.XLabel(axis);
        plot.Axes.Margins(left: 0, right: 0.15);
        foreach (var (label, group) in legend)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = label, FillColor = palette.GetColor(group) });
        }
        plot.ShowLegend(Alignment.LowerRight);
    }

    private static void GroupedLogBars(Plot plot, string[] series, (string Label, double[] Values)[] groups)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        var width = series.Length + 1;
        for (var g = 0; g < groups.Length; g++)
        {
            for (var s = 0; s < series.Length; s++)
            {
                var value = groups[g].Values[s];
                if (double.IsNaN(value) || value <= 0)
                {
                    continue;
                }
                // Bars start at 0.1 ms: log10 of the value, drawn from log10(0.1).
                bars.Add(new Bar { Position = g * width + s, Value = Math.Log10(value), ValueBase = -1, FillColor = palette.GetColor(s) });
            }
        }
        plot.Add.Bars(bars);
        for (var s = 0; s < series.Length; s++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s], FillColor = palette.GetColor(s) });
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. groups.Select((_, g) => g * width + (series.Length - 1) / 2.0)], [.. groups.Select(g => g.Label)]);
        double[] decades = [-1, 0, 1, 2, 3, 4];
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            decades, [.. decades.Select(d => Math.Pow(10, d).ToString("0.#", CultureInfo.InvariantCulture))]);
        plot.Axes.SetLimitsY(-1, Math.Max(2, bars.Max(b => b.Value)) + 1); // a decade of room above for the legend
        plot.YLabel("ms");
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.ShowLegend(Alignment.UpperLeft);
    }

    private static double Value(JsonNode? node) => node switch
    {
        null => double.NaN,
        _ when node.GetValueKind() == System.Text.Json.JsonValueKind.Number => node.GetValue<double>(),
        _ => node.GetValue<string>() switch
        {
            "Infinity" => double.PositiveInfinity,
            var text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : double.NaN,
        },
    };
}
