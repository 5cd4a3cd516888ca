using System.Text;

namespace Q4.Tests.Hosting;

/// <summary>Finds processes an AppHost started that are still alive, by what only they carry.</summary>
public static class Leftovers
{
    /// <summary>
    /// Stores run in, or get on their command line, a folder inside the state folder or PostgreSQL's folder outside it
    /// (PostgreSQL's backends rewrite their command line, so the working folder counts too); projects get the
    /// AppHost's pid in their environment.
    /// Anything alive with one of these belongs to that AppHost.
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
            var workingDirectory = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget ?? "";
            foreach (var folder in (string[])[app.StateDirectory, app.OutsideDataDirectory])
            {
                if (commandLine.Contains(folder) || workingDirectory.StartsWith(folder, StringComparison.Ordinal))
                {
                    return true;
                }
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
