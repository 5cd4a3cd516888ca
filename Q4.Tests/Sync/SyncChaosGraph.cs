using System.Diagnostics;
using Q4.Hosting;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Users;

namespace Q4.Tests.Sync;

/// <summary>
/// A graph of its own for the tests that kill, stop or pause processes, so the shared graph never sees it. Sync
/// replicas that a test has killed are not restarted by the AppHost; a test that needs more asks for extra ones,
/// started beside the graph on its stores.
/// </summary>
public sealed class SyncChaosGraph : IAsyncLifetime
{
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    private readonly List<ServiceProcess> _extraReplicas = [];
    private AppHostProcess? _app;

    public AppHostProcess App => _app ?? throw new InvalidOperationException("The graph did not start.");

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(TestContext.Current.CancellationToken);
        _app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        await _app.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _extraReplicas)
        {
            await replica.DisposeAsync();
        }
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>Sync replicas still running: the graph's own and the extra ones.</summary>
    public int LiveReplicas =>
        App.GetPids("syncservice").Count(Signals.IsAlive) + _extraReplicas.Count(replica => !replica.HasExited);

    /// <summary>The pids of the sync replicas still running: the graph's own and the extra ones.</summary>
    public List<int> SyncReplicaPids() =>
        [.. App.GetPids("syncservice").Where(Signals.IsAlive), .. _extraReplicas.Where(replica => !replica.HasExited).Select(replica => replica.Pid)];

    /// <summary>Starts extra sync replicas until <paramref name="count"/> run, then waits until one of them holds the lock.</summary>
    public async Task EnsureReplicasAsync(int count)
    {
        while (LiveReplicas < count)
        {
            _extraReplicas.Add(await ServiceProcess.StartAsync(new Projects.Q4_SyncService(), new Dictionary<string, string>
            {
                ["ConnectionStrings__redis"] = App.GetConnectionString("redis"),
                ["ConnectionStrings__q4db"] = App.GetConnectionString("q4db"),
                ["ConnectionStrings__storage"] = App.GetConnectionString("storage"),
            }, TestContext.Current.CancellationToken));
        }
        await HolderAsync();
    }

    /// <summary>A seller's fresh auctions (starting at 100, increment 5) and fresh bidders for them.</summary>
    public async Task<(List<TestUser> Bidders, List<AuctionResponse> Auctions)> BiddersAndAuctionsAsync(int bidderCount, int auctionCount)
    {
        using var seller = TestUser.Fresh(App);
        var auctions = new List<AuctionResponse>();
        for (var i = 0; i < auctionCount; i++)
        {
            auctions.Add(await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 5, replica: i % 2));
        }
        return (Enumerable.Range(0, bidderCount).Select(_ => TestUser.Fresh(App)).ToList(), auctions);
    }

    public static void Dispose(IEnumerable<TestUser> users)
    {
        foreach (var user in users)
        {
            user.Dispose();
        }
    }

    /// <summary>Fails, with the AppHost's output, if any API or sync process of the graph has ended.</summary>
    public void AssertEveryServiceProcessIsAlive()
    {
        foreach (var resource in new[] { "apiservice", "syncservice" })
        {
            foreach (var pid in App.GetPids(resource))
            {
                Assert.True(Signals.IsAlive(pid), $"{resource} pid {pid} is gone; the AppHost's output:\n{App.Output}");
            }
        }
    }

    /// <summary>
    /// Starts one more sync replica with <paramref name="settings"/> (environment variables) and pauses every other one
    /// until it holds the lock; returns the replicas it paused, for <see cref="Resume"/>.
    /// </summary>
    public async Task<List<int>> MakeHolderWithAsync(IReadOnlyDictionary<string, string> settings)
    {
        var replica = await ServiceProcess.StartAsync(new Projects.Q4_SyncService(), new Dictionary<string, string>(settings)
        {
            ["ConnectionStrings__redis"] = App.GetConnectionString("redis"),
            ["ConnectionStrings__q4db"] = App.GetConnectionString("q4db"),
            ["ConnectionStrings__storage"] = App.GetConnectionString("storage"),
        }, TestContext.Current.CancellationToken);
        _extraReplicas.Add(replica);
        var paused = SyncReplicaPids().Where(pid => pid != replica.Pid).ToList();
        foreach (var pid in paused)
        {
            Signals.Send(pid, SIGSTOP);
        }
        await SyncStore.EventuallyAsync(async () => (await App.LockOwnerAsync())?.Pid == replica.Pid, TimeSpan.FromSeconds(30), pollMs: 100);
        Assert.True((await App.LockOwnerAsync())?.Pid == replica.Pid, "the new replica did not get the lock while the others were paused");
        return paused;
    }

    public static void Resume(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            Signals.Send(pid, SIGCONT);
        }
    }

    /// <summary>The lock's current holder; fails if nobody takes it within the lock's lifetime and a little.</summary>
    public async Task<LockOwner> HolderAsync()
    {
        LockOwner? owner = null;
        await SyncStore.EventuallyAsync(async () => (owner = await App.LockOwnerAsync()) is not null, TimeSpan.FromSeconds(15), pollMs: 50);
        Assert.True(owner is not null, $"nobody holds {SyncStore.LockKey}");
        Assert.True(IsOurSyncReplica(owner.Pid), $"the lock names pid {owner.Pid}, which is no sync replica of this graph ({owner.Value})");
        return owner;
    }

    /// <summary>
    /// Polls the lock until a process other than <paramref name="previous"/> holds it; how long that took from
    /// <paramref name="since"/> (a <see cref="Stopwatch"/> timestamp), or null if it did not happen within <paramref name="timeout"/>.
    /// </summary>
    public async Task<(TimeSpan? After, LockOwner? Owner)> WaitForNewHolderAsync(LockOwner previous, long since, TimeSpan timeout)
    {
        while (Stopwatch.GetElapsedTime(since) < timeout)
        {
            if (await App.LockOwnerAsync() is { } owner && owner.Pid != previous.Pid)
            {
                return (Stopwatch.GetElapsedTime(since), owner);
            }
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        return (null, null);
    }

    /// <summary>
    /// Only processes this test run started may be signalled: a sync replica of this graph, or an extra one whose
    /// parent is this test process.
    /// </summary>
    public bool IsOurSyncReplica(int pid) =>
        App.GetPids("syncservice").Contains(pid)
        || (ProcFs.ParentOf(pid) == Environment.ProcessId && ProcFs.CommandLine(pid).Contains("Q4.SyncService.dll", StringComparison.Ordinal));
}

/// <summary>Process facts from /proc, for finding PostgreSQL's backends and checking whose child a process is.</summary>
public static class ProcFs
{
    /// <summary>The parent pid, or null if the process is gone.</summary>
    public static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which may hold spaces and ends at the last ')': state, ppid, ...
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    public static List<int> ChildrenOf(int pid) =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!))
            .Where(child => ParentOf(child) == pid)
            .ToList();
}
