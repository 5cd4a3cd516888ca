using System.Diagnostics;

namespace Q4.Hosting;

/// <summary>Where one process is: <see cref="ProcessState.Finished"/> is a one-shot command that ended by itself.</summary>
public enum ProcessState { Starting, Running, Stopping, Stopped, Exited, Finished }

/// <summary>What to run for one process of a resource.</summary>
internal sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The signal that asks the process to finish its work and exit.</summary>
    public int StopSignal { get; init; } = Signals.SIGTERM;

    /// <summary>The system user to run as (the AppHost must be root); null: the AppHost's own user.</summary>
    public string? User { get; init; }
}

/// <summary>
/// One running process of a resource. It runs in a session of its own so that Ctrl+C in the terminal reaches
/// only the AppHost, which then stops the graph in order. It gets its stop signal as soon as the AppHost is gone,
/// however the AppHost ended (a parent-death signal; SIGKILL cannot be caught). Its output goes to its log file
/// and the console.
/// </summary>
internal sealed class ChildProcess(string name, ProcessSpec spec, RunContext context)
{
    private const int RememberedLines = 30;

    private readonly Queue<string> _recentLines = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private StreamWriter? _logFile;

    public string Name { get; } = name;

    public int Pid => _process?.Id ?? 0;

    /// <summary>The variables it was started with, secrets included (the dashboard masks them).</summary>
    public IReadOnlyDictionary<string, string> Environment => spec.Environment;

    /// <summary>When it was started; null before.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>How many times the process of this name was started again before this one (by the dashboard).</summary>
    public int Restarts { get; init; }

    /// <summary>Set by its resource once it passed its health check (at once when it has none).</summary>
    public bool Ready { get; set; }

    /// <summary>The latest answer of its health endpoint, kept by <see cref="HealthMonitor"/>.</summary>
    public Q4.Dashboard.Resources.HealthReport? LastHealth { get; set; }

    /// <summary>Where it is now, as the dashboard shows it.</summary>
    public ProcessState State =>
        _process is null ? ProcessState.Starting
        : Exited.IsCompleted ? (_stopRequested ? ProcessState.Stopped : ExitExpected ? ProcessState.Finished : ProcessState.Exited)
        : _stopRequested ? ProcessState.Stopping
        : Ready ? ProcessState.Running
        : ProcessState.Starting;

    private bool _stopRequested;

    /// <summary>The same process to start again after this one ended: same name, program, environment (so same port).</summary>
    public ChildProcess Again() => new(Name, spec, context) { Restarts = Restarts + 1 };

    /// <summary>True once the process was asked to stop, or is a one-shot command that ends by itself.</summary>
    public bool ExitExpected { get; private set; }

    /// <summary>Completes with the exit code when the process ends.</summary>
    public Task<int> Exited => _exited.Task;

    public string LogPath => Path.Combine(context.State.LogsDirectory, $"{Name}.log");

    public void Start()
    {
        _logFile = new StreamWriter(OwnerOnly.Open(LogPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        _logFile.WriteLine($"==== {DateTimeOffset.Now:O} {spec.FileName} {string.Join(' ', spec.Arguments)}");

        var startInfo = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory ?? context.State.Root,
        };
        // setsid and setpriv each replace themselves with the next program, so the pid stays the server's.
        // setpriv sets the parent-death signal after switching user, which would clear it.
        startInfo.ArgumentList.Add("setpriv");
        if (spec.User is { } user)
        {
            foreach (var argument in (string[])["--reuid", user, "--regid", user, "--init-groups"])
            {
                startInfo.ArgumentList.Add(argument);
            }
        }
        startInfo.ArgumentList.Add("--pdeathsig");
        startInfo.ArgumentList.Add(Signals.NameOf(spec.StopSignal));
        startInfo.ArgumentList.Add(spec.FileName);
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in spec.Environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => OnExited(process);
        try
        {
            ProcessLauncher.Start(process);
        }
        catch (Exception e)
        {
            throw new AppHostException($"{Name}: could not start {spec.FileName}: {e.Message}");
        }
        _process = process;
        StartedAt = DateTimeOffset.Now;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        context.State.Pids.Record(Name, process.Id, spec.StopSignal);
    }

    /// <summary>Runs a command that ends by itself (initdb) and returns its exit code.</summary>
    public Task<int> RunToEndAsync(CancellationToken cancellationToken)
    {
        ExitExpected = true;
        Start();
        return Exited.WaitAsync(cancellationToken);
    }

    /// <summary>The last lines the process wrote, for messages about why it failed.</summary>
    public string RecentOutput()
    {
        lock (_recentLines)
        {
            return string.Join(System.Environment.NewLine, _recentLines.Select(l => "    " + l));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_process is null || Exited.IsCompleted)
        {
            return;
        }
        ExitExpected = true;
        _stopRequested = true;
        Signals.Send(_process.Id, spec.StopSignal);
        try
        {
            await Exited.WaitAsync(context.Options.StopTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            context.Log.Error($"{Name} did not stop within {context.Options.StopTimeout.TotalSeconds:0} s; killing it.");
            Signals.Send(_process.Id, Signals.SIGKILL);
            await Exited.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_recentLines)
        {
            _recentLines.Enqueue(line);
            if (_recentLines.Count > RememberedLines)
            {
                _recentLines.Dequeue();
            }
            _logFile?.WriteLine(line);
        }
        context.Log.Resource(Name, line);
    }

    private void OnExited(Process process)
    {
        // Let the output readers drain before anyone reads RecentOutput().
        process.WaitForExit();
        var code = process.ExitCode;
        context.State.Pids.Forget(Name);
        lock (_recentLines)
        {
            _logFile?.WriteLine($"==== exited with code {code}");
            _logFile?.Dispose();
            _logFile = null;
        }
        if (!ExitExpected)
        {
            context.OnUnexpectedExit(this, code);
        }
        _exited.TrySetResult(code);
    }
}
