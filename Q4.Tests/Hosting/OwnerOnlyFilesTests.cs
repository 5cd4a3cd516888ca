using Q4.Tests.Auctions;
using Q4.Tests.Users;

namespace Q4.Tests.Hosting;

/// <summary>
/// What the AppHost and its children keep on disk (generated passwords, keys, the stores' data, logs, connection
/// strings) is for the user who runs it alone.
/// </summary>
public sealed class OwnerOnlyFilesTests(GraphFixture graph)
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task Nothing_in_the_state_folder_or_the_stores_data_is_open_to_group_or_others()
    {
        var app = graph.App;
        // A bid, so that Redis's append-only file holds data, and with it the other stores.
        using var seller = TestUser.Fresh(app);
        using var bidder = TestUser.Fresh(app);
        var auction = await seller.CreateAuctionAsync();
        await bidder.PlaceBidAsync(auction.Id, auction.StartingPrice);

        // The cluster is PostgreSQL's working folder, wherever it lives (as root it may not be under the state folder).
        var cluster = new DirectoryInfo($"/proc/{app.GetPids("postgres").Single()}/cwd").LinkTarget!;
        var walked = Walk(app.StateDirectory).Concat(Walk(cluster).Prepend(cluster)).Distinct().ToList();
        Assert.Contains(walked, path => path.EndsWith("secrets.json", StringComparison.Ordinal));
        Assert.Contains(walked, path => path.Contains("appendonlydir", StringComparison.Ordinal));
        Assert.Contains(walked, path => path.EndsWith("identity.db", StringComparison.Ordinal));
        Assert.Contains(walked, path => path.EndsWith("PG_VERSION", StringComparison.Ordinal));

        var open = walked
            .Select(path => (Path: path, Mode: ModeOf(path)))
            .Where(entry => (entry.Mode & GroupOrOther) != 0)
            .ToList();
        Assert.True(open.Count == 0,
            $"{open.Count} of {walked.Count} files and folders are open to group or others, e.g.: " +
            string.Join("; ", open.Take(40).Select(entry => $"{Octal(entry.Mode)} {entry.Path}")));
    }

    /// <summary>Every file and folder below <paramref name="root"/>, not following links.</summary>
    private static IEnumerable<string> Walk(string root) =>
        new DirectoryInfo(root)
            .EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(entry => entry.FullName);

    /// <summary>The mode, or none for a file gone since the walk (PostgreSQL's and the AppHost's temporary files).</summary>
    private static UnixFileMode ModeOf(string path)
    {
        try
        {
            return File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return UnixFileMode.None;
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
