using System.Diagnostics;

namespace Q4.Hosting;

/// <summary>A program a resource runs, and where it comes from when the machine lacks it.</summary>
internal sealed record Tool(string Name, Func<Tools, string?> Locate, string[] AptPackages, string? NpmPackage = null);

/// <summary>
/// Finds the programs the stores need and installs the missing ones (apt-get as root or through sudo, npm into
/// the tools folder) with their output on the console; without those rights it names the command to run.
/// </summary>
internal sealed class Tools(string toolsDirectory, ConsoleLog log)
{
    public const string S3rverVersion = "3.7.1";

    public static readonly Tool RedisServer = new("redis-server", _ => OnPath("redis-server"), ["redis-server"]);

    public static readonly Tool Postgres = new("postgres", _ => NewestPostgres(), ["postgresql"]);

    public static readonly Tool Node = new("node", _ => OnPath("node"), ["nodejs", "npm"]);

    public static readonly Tool S3rver = new(
        "s3rver", t => File.Exists(t.S3rverScript) ? t.S3rverScript : null, [], $"s3rver@{S3rverVersion}");

    public string S3rverScript => System.IO.Path.Combine(toolsDirectory, "node_modules", "s3rver", "bin", "s3rver.js");

    public string PathOf(Tool tool) =>
        tool.Locate(this) ?? throw new InvalidOperationException($"{tool.Name} was not provisioned.");

    /// <summary>The folder of the PostgreSQL server programs (postgres, initdb).</summary>
    public string PostgresBin => System.IO.Path.GetDirectoryName(PathOf(Postgres))!;

    public async Task EnsureAsync(IEnumerable<Tool> required, CancellationToken cancellationToken)
    {
        var missing = required.Distinct().Where(t => t.Locate(this) is null).ToList();
        var apt = missing.SelectMany(t => t.AptPackages).Distinct().ToList();
        var npmNeedsNode = missing.Any(t => t.NpmPackage is not null) && Node.Locate(this) is null;
        if (npmNeedsNode)
        {
            apt.AddRange(Node.AptPackages.Except(apt));
        }

        if (apt.Count > 0)
        {
            var install = $"apt-get install -y --no-install-recommends {string.Join(' ', apt)}";
            var sudo = Signals.IsRoot ? null : await CanSudoAsync() ? "sudo" : null;
            if (!Signals.IsRoot && sudo is null)
            {
                throw new AppHostException(
                    $"Missing {string.Join(", ", missing.Select(t => t.Name))}. Run: sudo apt-get update && sudo {install}");
            }
            log.Info($"Installing {string.Join(", ", apt)} (first run on this machine)...");
            await RunAsync(sudo, "apt-get", ["update"], cancellationToken);
            await RunAsync(sudo, "apt-get", ["install", "-y", "--no-install-recommends", .. apt], cancellationToken);
        }

        foreach (var npm in missing.Where(t => t.NpmPackage is not null))
        {
            log.Info($"Installing {npm.NpmPackage} into {toolsDirectory}...");
            Directory.CreateDirectory(toolsDirectory);
            await RunAsync(null, "npm",
                ["install", "--prefix", toolsDirectory, "--no-audit", "--no-fund", "--loglevel=error", npm.NpmPackage!],
                cancellationToken);
        }

        if (missing.FirstOrDefault(t => t.Locate(this) is null) is { } still)
        {
            throw new AppHostException($"{still.Name} is still missing after installing it; see the output above.");
        }
    }

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin")
            .Select(dir => System.IO.Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    /// <summary>Debian keeps the server programs out of PATH, one folder per major version.</summary>
    private static string? NewestPostgres() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Where(dir => int.TryParse(System.IO.Path.GetFileName(dir), out var major) && major >= 15)
                .OrderByDescending(dir => int.Parse(System.IO.Path.GetFileName(dir)))
                .Select(dir => System.IO.Path.Combine(dir, "bin", "postgres"))
                .FirstOrDefault(File.Exists)
            : null;

    private static async Task<bool> CanSudoAsync()
    {
        if (OnPath("sudo") is null)
        {
            return false;
        }
        using var probe = Process.Start(new ProcessStartInfo("sudo", ["-n", "true"]) { RedirectStandardError = true })!;
        await probe.WaitForExitAsync();
        return probe.ExitCode == 0;
    }

    private async Task RunAsync(string? sudo, string program, string[] arguments, CancellationToken cancellationToken)
    {
        var startInfo = sudo is null ? new ProcessStartInfo(program, arguments) : new ProcessStartInfo(sudo, [program, .. arguments]);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Setup(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Setup(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new AppHostException($"`{string.Join(' ', startInfo.ArgumentList.Prepend(startInfo.FileName))}` failed with code {process.ExitCode}; see its output above.");
        }
    }
}
