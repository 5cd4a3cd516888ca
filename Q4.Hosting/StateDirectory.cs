using System.Text.Json;
using System.Security.Cryptography;

namespace Q4.Hosting;

/// <summary>
/// The AppHost's folder (<c>.q4/</c>): data of the stores, logs, generated secrets, the pids of running
/// children and <c>endpoints.json</c>. A lock file makes sure only one AppHost uses it at a time.
/// </summary>
internal sealed class StateDirectory
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private FileStream? _lock;

    public StateDirectory(string root, string tools)
    {
        Root = Path.GetFullPath(root);
        ToolsDirectory = Path.GetFullPath(tools);
        OwnerOnly.CreateDirectory(LogsDirectory);
        OwnerOnly.CreateDirectory(DataDirectory);
        Pids = new PidFile(Path.Combine(Root, "pids.json"));
    }

    public string Root { get; }

    public string ToolsDirectory { get; }

    public string LogsDirectory => Path.Combine(Root, "logs");

    public string DataDirectory => Path.Combine(Root, "data");

    /// <summary>The dashboard's telemetry kept across runs (with <c>AppHost:KeepTelemetry</c>).</summary>
    public string TelemetryDirectory => Path.Combine(Root, "telemetry");

    public string EndpointsPath => Path.Combine(Root, EndpointsFile.FileName);

    public PidFile Pids { get; }

    /// <summary>Takes the folder for this process; the OS drops the lock when the process dies, however it dies.</summary>
    public void Lock()
    {
        var path = Path.Combine(Root, "apphost.lock");
        try
        {
            _lock = OwnerOnly.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var owner = File.Exists(path + ".pid") ? File.ReadAllText(path + ".pid").Trim() : "unknown";
            throw new AppHostException(
                $"Another Q4 AppHost (pid {owner}) is already running with state in {Root}. " +
                $"Stop it first (Ctrl+C in its terminal, or `kill {owner}`), or give this one its own `--state-dir`.");
        }
        OwnerOnly.WriteAllText(path + ".pid", Environment.ProcessId.ToString());
    }

    public void Unlock()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>A secret generated on first use and kept for later runs (the stores' data outlives a run).</summary>
    public string Secret(string name)
    {
        var path = Path.Combine(Root, "secrets.json");
        var secrets = File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? []
            : [];
        if (!secrets.TryGetValue(name, out var value))
        {
            value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            secrets[name] = value;
            OwnerOnly.WriteAllText(path, JsonSerializer.Serialize(secrets, Json));
        }
        return value;
    }

    public void WriteEndpoints(EndpointsFile endpoints)
    {
        // It holds the stores' passwords.
        OwnerOnly.WriteAllText(EndpointsPath, JsonSerializer.Serialize(endpoints.Resources, Json));
    }

    public void DeleteEndpoints()
    {
        if (Directory.Exists(Root))
        {
            File.Delete(EndpointsPath);
        }
    }
}
