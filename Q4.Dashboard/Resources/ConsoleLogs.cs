using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Resources;

/// <summary>How loud a console line is, read from the way each kind of process marks it.</summary>
public enum ConsoleLevel { None, Trace, Debug, Information, Warning, Error, Critical }

/// <summary>
/// One line a process wrote to its console, numbered in the order the dashboard read it (the files carry no time of
/// their own, so that order is the only one across processes).
/// </summary>
public sealed record ConsoleLine(long Sequence, string Process, string Text, ConsoleLevel Level);

/// <summary>
/// Follows every process's console file (<see cref="IResourceService.ConsoleLogPath"/>): every 250 ms it looks at each
/// file's length and reads what was appended, line by line, so pages and downloads see the same lines in the same order.
/// It keeps the last <see cref="MaxLinesPerProcess"/> lines of each process, so a chatty one cannot push out a quiet one.
/// A file seen for the first time is read from its last <see cref="FirstReadBytes"/> bytes.
/// </summary>
public sealed class ConsoleLogs(IResourceService resources) : BackgroundService
{
    public const int MaxLinesPerProcess = 5_000;
    private const int FirstReadBytes = 256 * 1024;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<ConsoleLine>> _lines = [];
    private readonly Dictionary<string, FileFollower> _files = [];
    private long _sequence;
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The newest <paramref name="limit"/> lines of the given processes read after <paramref name="after"/> that hold
    /// <paramref name="filter"/> (in the text or the process's name, any case), oldest first, and where the reader is now.
    /// </summary>
    public Matches<ConsoleLine> GetLines(IReadOnlyCollection<string> processes, string? filter, long after, int limit)
    {
        lock (_gate)
        {
            var matching = processes
                .SelectMany(p => _lines.TryGetValue(p, out var lines) ? lines : [])
                .Where(l => l.Sequence > after && Matches(l, filter))
                .OrderBy(l => l.Sequence)
                .ToList();
            return new(matching.TakeLast(limit).ToList(), matching.Count, _sequence);
        }
    }

    /// <summary>True when the line holds the filter text (in its text or its process's name, any case), or there is none.</summary>
    public static bool Matches(ConsoleLine line, string? filter) =>
        string.IsNullOrEmpty(filter)
        || line.Text.Contains(filter, StringComparison.OrdinalIgnoreCase)
        || line.Process.Contains(filter, StringComparison.OrdinalIgnoreCase);

    /// <summary>Completes once a line newer than <paramref name="position"/> was read (at once when one was).</summary>
    public Task WaitForNewerAsync(long position, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _sequence > position ? Task.CompletedTask : _added.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The processes a selection names: every process for null or empty, a resource's processes for its name, one
    /// process for its own name; null when no resource or process has that name.
    /// </summary>
    public static IReadOnlyList<string>? ProcessesOf(IReadOnlyList<ResourceSnapshot> resources, string? selection)
    {
        if (string.IsNullOrEmpty(selection))
        {
            return [.. resources.SelectMany(r => r.Processes).Select(p => p.Name)];
        }
        if (resources.FirstOrDefault(r => r.Name == selection) is { } resource)
        {
            return [.. resource.Processes.Select(p => p.Name)];
        }
        return resources.SelectMany(r => r.Processes).Any(p => p.Name == selection) ? [selection] : null;
    }

    /// <summary>
    /// The level a line is marked with: the services' single-line console format (<c>info:</c>, <c>warn:</c>,
    /// <c>fail:</c>, <c>crit:</c>, <c>dbug:</c>, <c>trce:</c>), PostgreSQL's (<c>LOG:</c>, <c>WARNING:</c>,
    /// <c>ERROR:</c>, <c>FATAL:</c>, <c>PANIC:</c> after its prefix) and Redis's (<c>.</c> <c>-</c> <c>*</c> <c>#</c>
    /// after the time); <see cref="ConsoleLevel.None"/> for anything else.
    /// </summary>
    public static ConsoleLevel LevelOf(string line)
    {
        if (line.Length >= 5 && line[4] == ':')
        {
            switch (line[..4])
            {
                case "trce": return ConsoleLevel.Trace;
                case "dbug": return ConsoleLevel.Debug;
                case "info": return ConsoleLevel.Information;
                case "warn": return ConsoleLevel.Warning;
                case "fail": return ConsoleLevel.Error;
                case "crit": return ConsoleLevel.Critical;
            }
        }
        foreach (var (marker, level) in PostgresMarkers)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return level;
            }
        }
        // Redis: "<pid>:<role> 03 Dec 2026 20:26:11.231 # message".
        var colon = line.IndexOf(':');
        if (colon > 0 && line.AsSpan(0, colon).IndexOfAnyExceptInRange('0', '9') < 0 && line.Length > 28)
        {
            var mark = line.IndexOf(' ', line.IndexOf('.', colon) + 1) + 1;
            if (mark > 0 && mark < line.Length)
            {
                return line[mark] switch
                {
                    '.' => ConsoleLevel.Debug,
                    '-' => ConsoleLevel.Debug,
                    '*' => ConsoleLevel.Information,
                    '#' => ConsoleLevel.Warning,
                    _ => ConsoleLevel.None,
                };
            }
        }
        return ConsoleLevel.None;
    }

    private static readonly (string Marker, ConsoleLevel Level)[] PostgresMarkers =
    [
        ("] PANIC:  ", ConsoleLevel.Critical), ("] FATAL:  ", ConsoleLevel.Critical), ("] ERROR:  ", ConsoleLevel.Error),
        ("] WARNING:  ", ConsoleLevel.Warning), ("] LOG:  ", ConsoleLevel.Information), ("] DEBUG", ConsoleLevel.Debug),
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        do
        {
            try
            {
                ReadNewLines();
            }
            catch (IOException)
            {
                // A file being rotated or replaced: the next look reads it again.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Reads what every known process appended since the last look, and wakes the readers if anything came.</summary>
    private void ReadNewLines()
    {
        var read = new List<(string Process, string Text)>();
        foreach (var process in resources.GetResources().SelectMany(r => r.Processes))
        {
            if (!_files.TryGetValue(process.Name, out var file))
            {
                if (resources.ConsoleLogPath(process.Name) is not { } path)
                {
                    continue;
                }
                _files[process.Name] = file = new FileFollower(path);
            }
            foreach (var text in file.ReadNewLines())
            {
                read.Add((process.Name, text));
            }
        }
        if (read.Count == 0)
        {
            return;
        }
        lock (_gate)
        {
            foreach (var (process, text) in read)
            {
                if (!_lines.TryGetValue(process, out var lines))
                {
                    _lines[process] = lines = new Queue<ConsoleLine>();
                }
                lines.Enqueue(new ConsoleLine(++_sequence, process, text, LevelOf(text)));
                if (lines.Count > MaxLinesPerProcess)
                {
                    lines.Dequeue();
                }
            }
            var waiting = _added;
            _added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting.SetResult();
        }
    }

    /// <summary>
    /// Where the reading of one file stands: the offset read up to, and the bytes of a line not yet ended. A file that
    /// got shorter was replaced, and is read again from its start.
    /// </summary>
    private sealed class FileFollower(string path)
    {
        private long _offset = -1;
        private readonly List<byte> _partial = [];

        public List<string> ReadNewLines()
        {
            var lines = new List<string>();
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = stream.Length;
            var skipFirst = false;
            if (_offset < 0)
            {
                _offset = Math.Max(0, length - FirstReadBytes);
                // Starting mid-file: the first line is cut, so it is left out.
                skipFirst = _offset > 0;
            }
            else if (length < _offset)
            {
                _offset = 0;
                _partial.Clear();
            }
            if (length == _offset)
            {
                return lines;
            }
            stream.Seek(_offset, SeekOrigin.Begin);
            var buffer = new byte[length - _offset];
            stream.ReadExactly(buffer);
            _offset = length;
            var start = 0;
            for (var i = 0; i < buffer.Length; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }
                _partial.AddRange(buffer.AsSpan(start, i - start));
                var line = Encoding.UTF8.GetString([.. _partial]).TrimEnd('\r');
                _partial.Clear();
                start = i + 1;
                if (skipFirst)
                {
                    skipFirst = false;
                    continue;
                }
                lines.Add(line);
            }
            _partial.AddRange(buffer.AsSpan(start));
            return lines;
        }
    }
}

/// <summary>Registers <see cref="ConsoleLogs"/>: one follower of the console files for every page and download.</summary>
public static class ConsoleLogsRegistration
{
    public static IServiceCollection AddConsoleLogs(this IServiceCollection services)
    {
        services.AddSingleton<ConsoleLogs>();
        services.AddHostedService(sp => sp.GetRequiredService<ConsoleLogs>());
        return services;
    }
}
