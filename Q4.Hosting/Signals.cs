using System.Runtime.InteropServices;

namespace Q4.Hosting;

internal static partial class Signals
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary>The name setpriv and kill know a signal by.</summary>
    public static string NameOf(int signal) => signal switch
    {
        SIGINT => "INT",
        SIGKILL => "KILL",
        SIGTERM => "TERM",
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "not a signal the AppHost sends"),
    };

    /// <summary>Sends a signal; false when the process no longer exists.</summary>
    public static bool Send(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>
    /// True while the process runs. A zombie (ended, not yet reaped) counts as gone: where PID 1 does not reap
    /// orphans, as in some containers, the children of a killed AppHost stay zombies for good.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        if (kill(pid, 0) != 0)
        {
            return false;
        }
        return StatFields(pid) is [var state, ..] && state is not ("Z" or "X");
    }

    /// <summary>When the process started, in clock ticks since boot: with the pid, it names one process for good.</summary>
    public static string? StartTimeOf(int pid) => StatFields(pid) is { Length: > 19 } fields ? fields[19] : null;

    /// <summary>/proc/pid/stat from field 3 (state) on; the command name before it may hold spaces and ends at the last ')'.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static bool IsRoot => geteuid() == 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
