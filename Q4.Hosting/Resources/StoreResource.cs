namespace Q4.Hosting;

/// <summary>A store run as one server process on a loopback port; it stops after the services that use it.</summary>
public abstract class StoreResource(string name) : Resource(name)
{
    private ChildProcess? _process;

    protected int Port { get; private set; }

    internal override int StopOrder => StopOrders.Store;

    internal override IReadOnlyList<ChildProcess> Processes => _process is { } process ? [process] : [];

    internal override bool CanStartAgain => true;

    /// <summary>Stopped for good, every service that uses it would fail; restarted, they ride out the short gap.</summary>
    internal override bool MayStop => false;

    /// <summary>Runs the store's start once more: the same port, password and data folder, the same health check.</summary>
    internal override Task StartAgainAsync(int index, RunContext context, CancellationToken cancellationToken) =>
        StartAsync(context, cancellationToken);

    internal override void Allocate(RunContext context) => Port = context.Ports.Allocate(Name);

    /// <summary><c>.q4/data/&lt;name&gt;</c>: kept between runs.</summary>
    private protected string DataDirectoryIn(RunContext context) =>
        OwnerOnly.CreateDirectory(Path.Combine(context.State.DataDirectory, Name)).FullName;

    private protected void StartServer(RunContext context, ProcessSpec spec)
    {
        var process = new ChildProcess(Name, spec, context) { Restarts = _process is { } earlier ? earlier.Restarts + 1 : 0 };
        _process = process;
        process.Start();
    }
}
