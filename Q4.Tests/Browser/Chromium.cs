namespace Q4.Tests.Browser;

/// <summary>Debian's chromium, as Playwright drives it here (never a browser Playwright downloads).</summary>
public static class Chromium
{
    public const string Path = "/usr/bin/chromium";

    public static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    static Chromium()
    {
        if (!File.Exists(Path))
        {
            throw new InvalidOperationException($"{Path} is missing: `apt-get install chromium` (.ci/run does).");
        }
    }
}
