using System.Text;

namespace Q4.Tests.Hosting;

/// <summary>Finds processes an AppHost started that are still alive, by what only they carry.</summary>
public static class Leftovers
{
    /// <summary>
    /// Stores get their data folder (inside the state folder) on the command line; projects get the AppHost's pid
    /// in their environment. Anything alive with either belongs to that AppHost.
    /// </summary>
    public static IReadOnlyList<int> Of(AppHostProcess app) =>
        Directory.GetDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && pid != app.Pid && BelongsTo(pid, app))
            .ToList();

    public static async Task<IReadOnlyList<int>> AfterSettlingAsync(AppHostProcess app, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var alive = Of(app);
            if (alive.Count == 0 || DateTime.UtcNow > deadline)
            {
                return alive;
            }
            await Task.Delay(200);
        }
    }

    private static bool BelongsTo(int pid, AppHostProcess app)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            if (commandLine.Contains(app.StateDirectory))
            {
                return true;
            }
            var environment = Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/environ")).Split('\0');
            return environment.Contains($"Hosting__ParentProcessId={app.Pid}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // ended while we looked, or not ours to read
        }
    }
}
