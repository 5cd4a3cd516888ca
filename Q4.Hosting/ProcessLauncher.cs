using System.Collections.Concurrent;
using System.Diagnostics;

namespace Q4.Hosting;

/// <summary>
/// Starts every child of the AppHost from one thread that lives as long as the AppHost does, so that a child's
/// parent-death signal means "the AppHost is gone". The kernel sends that signal when the thread that started the
/// child ends, not the whole process, and .NET starts a process on the calling thread: usually a thread-pool thread,
/// which the pool may retire at any moment, taking the children it started with it.
/// </summary>
internal static class ProcessLauncher
{
    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> Requests = new();

    static ProcessLauncher() =>
        new Thread(() =>
        {
            foreach (var (process, started) in Requests.GetConsumingEnumerable())
            {
                try
                {
                    process.Start();
                    started.SetResult();
                }
                catch (Exception e)
                {
                    started.SetException(e);
                }
            }
        })
        { IsBackground = true, Name = "Child process launcher" }.Start();

    /// <summary>Starts <paramref name="process"/> on the launcher thread; returns once it runs, or throws what starting it threw.</summary>
    public static void Start(Process process)
    {
        var started = new TaskCompletionSource();
        Requests.Add((process, started));
        started.Task.GetAwaiter().GetResult();
    }
}
