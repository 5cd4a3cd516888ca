namespace Q4.Hosting;

/// <summary>A store run as one server process on a loopback port; it stops after the services that use it.</summary>
public abstract class StoreResource(string name) : Resource(name)
{
    private ChildProcess? _process;

    protected int Port { get; private set; }

    internal override int StopOrder => StopOrders.Store;

    internal override IReadOnlyList<ChildProcess> Processes => _process is null ? [] : [_process];

    internal override void Allocate(RunContext context) => Port = context.Ports.Allocate(Name);

    /// <summary><c>.q4/data/&lt;name&gt;</c>: kept between runs.</summary>
    private protected string DataDirectoryIn(RunContext context) =>
        OwnerOnly.CreateDirectory(Path.Combine(context.State.DataDirectory, Name)).FullName;

    private protected void StartServer(RunContext context, ProcessSpec spec)
    {
        _process = new ChildProcess(Name, spec, context);
        _process.Start();
    }
}
