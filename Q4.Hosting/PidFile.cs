using System.Text.Json;

namespace Q4.Hosting;

/// <summary>
/// The children a run started, kept on disk so that the next run can stop what a crashed AppHost left behind.
/// A pid is matched with its start time, so a pid the OS has since given to another program is left alone.
/// </summary>
internal sealed class PidFile(string path)
{
    private readonly Lock _gate = new();

    private sealed record Entry(int Pid, string StartTime, int StopSignal);

    public void Record(string name, int pid, int stopSignal = Signals.SIGTERM)
    {
        lock (_gate)
        {
            var entries = Read();
            entries[name] = new Entry(pid, Signals.StartTimeOf(pid) ?? "", stopSignal);
            Write(entries);
        }
    }

    public void Forget(string name)
    {
        lock (_gate)
        {
            var entries = Read();
            if (entries.Remove(name))
            {
                Write(entries);
            }
        }
    }

    /// <summary>Stops every recorded process that is still the one we started; returns their names.</summary>
    public async Task<IReadOnlyList<string>> StopLeftoversAsync()
    {
        Dictionary<string, Entry> entries;
        lock (_gate)
        {
            entries = Read();
        }
        var stopped = new List<string>();
        foreach (var (name, entry) in entries)
        {
            if (!Signals.IsAlive(entry.Pid) || Signals.StartTimeOf(entry.Pid) != entry.StartTime)
            {
                continue;
            }
            Signals.Send(entry.Pid, entry.StopSignal);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Signals.IsAlive(entry.Pid) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            Signals.Send(entry.Pid, Signals.SIGKILL);
            stopped.Add($"{name} (pid {entry.Pid})");
        }
        lock (_gate)
        {
            Write([]);
        }
        return stopped;
    }

    private Dictionary<string, Entry> Read() =>
        File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllText(path)) ?? [] : [];

    private void Write(Dictionary<string, Entry> entries)
    {
        // Recreated if someone deleted the state folder under a running AppHost: the record is what lets the
        // next run clean up, and failing here (on a process-exit callback) would take the AppHost down.
        OwnerOnly.CreateDirectory(Path.GetDirectoryName(path)!);
        OwnerOnly.WriteAllText(path, JsonSerializer.Serialize(entries));
    }
}
