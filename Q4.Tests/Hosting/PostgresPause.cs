using Q4.Hosting;
using Q4.Tests.Sync;

namespace Q4.Tests.Hosting;

/// <summary>
/// Every PostgreSQL process of a graph stopped with SIGSTOP until disposed: connections stay open, but nothing
/// reaches the database. Only for a graph of a test's own.
/// </summary>
public sealed class PostgresPause : IDisposable
{
    private readonly List<int> _paused = [];

    private PostgresPause()
    {
    }

    /// <summary>How many PostgreSQL processes were stopped: the postmaster and its children at the time.</summary>
    public int Count => _paused.Count;

    public static PostgresPause Start(AppHostProcess app)
    {
        var pause = new PostgresPause();
        var postmaster = app.GetPids("postgres")[0];
        // The postmaster first, so it forks no new backend after its children are listed.
        Assert.True(Signals.Send(postmaster, SyncChaosGraph.SIGSTOP), $"the postmaster (pid {postmaster}) is gone");
        pause._paused.Add(postmaster);
        foreach (var child in ProcFs.ChildrenOf(postmaster))
        {
            if (Signals.Send(child, SyncChaosGraph.SIGSTOP))
            {
                pause._paused.Add(child);
            }
        }
        return pause;
    }

    public void Dispose()
    {
        foreach (var pid in _paused)
        {
            Signals.Send(pid, SyncChaosGraph.SIGCONT);
        }
    }
}
