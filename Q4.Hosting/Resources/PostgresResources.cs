using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Q4.Hosting.Publishing;

namespace Q4.Hosting;

/// <summary>
/// A PostgreSQL server of Debian's packages. It refuses to run as root, so as root it runs as the
/// <c>postgres</c> user (through setpriv, which keeps the pid the AppHost sees) on a data folder that user owns.
/// </summary>
public sealed class PostgresServerResource(string name) : StoreResource(name), IResourceWithConnectionString
{
    private const string SystemUser = "postgres";

    /// <summary>Where clusters live that the server user could not reach in the state folder.</summary>
    private const string OutsideRoot = "/var/lib/q4";

    private string _password = "";

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Password={_password}";

    internal override IReadOnlyList<string> Urls => [$"postgresql://127.0.0.1:{Port}"];

    internal override IEnumerable<Tool> RequiredTools => [Tools.Postgres];

    internal override void Allocate(RunContext context)
    {
        base.Allocate(context);
        _password = context.State.Secret($"{Name}-password");
    }

    internal override IEnumerable<PublishedResource> Publish()
    {
        var password = $"{Name}-password";
        yield return new PublishedParameter(password, Secret: true);
        yield return new PublishedContainer(Name, "docker.io/library/postgres:17.6")
        {
            ConnectionString = $"Host={Expressions.Binding(Name, "tcp", "host")};Port={Expressions.Binding(Name, "tcp", "port")};Username=postgres;Password={Expressions.Value(password)}",
            Args = ["-c", "max_connections=300"],
            Environment = new Dictionary<string, string>
            {
                ["POSTGRES_HOST_AUTH_METHOD"] = "scram-sha-256",
                ["POSTGRES_INITDB_ARGS"] = "--auth-host=scram-sha-256 --auth-local=scram-sha-256",
                ["POSTGRES_USER"] = "postgres",
                ["POSTGRES_PASSWORD"] = Expressions.Value(password),
                // A folder inside the volume: a fresh volume's root is not empty (lost+found) and initdb wants an empty one.
                ["PGDATA"] = "/var/lib/postgresql/data/pgdata",
            },
            Bindings = [new PublishedBinding("tcp", "tcp", "tcp", TargetPort: 5432)],
            User = 999,
            Volumes = [new PublishedVolume($"q4-{Name}-data", "/var/lib/postgresql/data")],
        };
    }

    internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        var dataDirectory = await PrepareDataDirectoryAsync(context, cancellationToken);
        var spec = AsServerUser(Path.Combine(context.Tools.PostgresBin, "postgres"),
        [
            "-D", dataDirectory,
            "-c", "listen_addresses=127.0.0.1",
            "-c", $"port={Port}",
            "-c", "unix_socket_directories=",
            "-c", "max_connections=300",
        ], dataDirectory) with
        {
            // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
            StopSignal = Signals.SIGINT,
        };
        StartServer(context, spec);

        await context.WaitUntilHealthyAsync(Name, Processes, async ct =>
        {
            await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=2");
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            return (int)(await command.ExecuteScalarAsync(ct))! == 1;
        }, cancellationToken);
    }

    /// <summary>Creates the cluster on first run (initdb), with the generated password for the postgres role.</summary>
    private async Task<string> PrepareDataDirectoryAsync(RunContext context, CancellationToken cancellationToken)
    {
        var dataDirectory = DataDirectoryFor(context);
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            return dataDirectory;
        }
        if (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new AppHostException(
                $"{dataDirectory} holds files but no PostgreSQL cluster (an interrupted first run?). Delete it and start again.");
        }

        context.Log.Info($"{Name}: creating a new cluster in {dataDirectory}...");
        OwnerOnly.CreateDirectory(dataDirectory);
        var parent = Path.GetDirectoryName(dataDirectory)!;
        var passwordFile = Path.Combine(parent, $".{Name}-initdb-password");
        OwnerOnly.WriteAllText(passwordFile, _password);
        try
        {
            if (Signals.IsRoot && parent.StartsWith(OutsideRoot + "/", StringComparison.Ordinal))
            {
                // The server user may pass through the shared folder, without listing it, into a folder of its own.
                File.SetUnixFileMode(OutsideRoot, OwnerOnly.FolderPermissions | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                await ChownAsync(parent);
            }
            else if (Signals.IsRoot)
            {
                await ChownAsync(dataDirectory);
                await ChownAsync(passwordFile);
            }
            var initdb = AsServerUser(Path.Combine(context.Tools.PostgresBin, "initdb"),
                ["-D", dataDirectory, "-U", "postgres", $"--pwfile={passwordFile}", "-E", "UTF8", "--no-locale",
                 "--auth-host=scram-sha-256", "--auth-local=peer"], dataDirectory);
            var process = new ChildProcess($"{Name}-initdb", initdb, context);
            var exitCode = await process.RunToEndAsync(cancellationToken);
            if (exitCode != 0)
            {
                throw new AppHostException($"initdb failed with code {exitCode}:{Environment.NewLine}{process.RecentOutput()}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }
        return dataDirectory;
    }

    /// <summary>
    /// Normally <c>.q4/data/&lt;name&gt;</c>. As root, the postgres user must be able to reach that folder; when a
    /// parent folder is closed to it (the state folder is its owner's alone, or a checkout under /root), the cluster
    /// lives under /var/lib/q4 instead.
    /// </summary>
    private string DataDirectoryFor(RunContext context)
    {
        var preferred = DataDirectoryIn(context);
        if (!Signals.IsRoot || ReachableByServerUser(context.State.DataDirectory))
        {
            return preferred;
        }
        var outside = OutsideDataDirectory(preferred);
        context.Log.Info($"{Name}: the postgres user cannot reach {preferred}; keeping the cluster in {outside}.");
        return outside;
    }

    /// <summary>The cluster's folder outside the state folder: <c>/var/lib/q4/&lt;hash of the preferred one&gt;/&lt;name&gt;</c>.</summary>
    internal static string OutsideDataDirectory(string preferred)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(preferred)))[..12];
        return Path.Combine(OutsideRoot, key, Path.GetFileName(preferred));
    }

    private static bool ReachableByServerUser(string directory)
    {
        using var test = Process.Start(new ProcessStartInfo("setpriv",
            ["--reuid", SystemUser, "--regid", SystemUser, "--init-groups", "test", "-x", directory]))!;
        test.WaitForExit();
        return test.ExitCode == 0;
    }

    /// <summary>Runs in the folder above the cluster: the server user may enter it even when it may not enter .q4/.</summary>
    private static ProcessSpec AsServerUser(string program, string[] arguments, string dataDirectory) =>
        new(program, arguments)
        {
            User = Signals.IsRoot ? SystemUser : null,
            WorkingDirectory = Path.GetDirectoryName(dataDirectory),
        };

    private static async Task ChownAsync(string path)
    {
        using var chown = Process.Start("chown", ["-R", $"{SystemUser}:{SystemUser}", path]);
        await chown.WaitForExitAsync();
    }
}

/// <summary>A database inside a PostgreSQL server; created on first start, as Aspire does.</summary>
public sealed class PostgresDatabaseResource(string name, PostgresServerResource server)
    : Resource(name), IResourceWithConnectionString
{
    public PostgresServerResource Server { get; } = server;

    public string ConnectionString => $"{Server.ConnectionString};Database={Name}";

    internal override int StopOrder => StopOrders.Store;

    internal override IReadOnlyList<string> Urls => [];

    internal override void Allocate(RunContext context)
    {
    }

    /// <summary>The server's connection string and the database's name; the migrations create what is inside.</summary>
    internal override IEnumerable<PublishedResource> Publish() =>
        [new PublishedValue(Name, $"{Expressions.ConnectionString(Server.Name)};Database={Name}")];

    internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(Server.ConnectionString + ";Database=postgres;Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new() { Value = Name } },
        };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            var quoted = new NpgsqlCommandBuilder().QuoteIdentifier(Name);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            context.Log.Info($"{Name}: database created.");
        }
    }
}
