using System.Reflection;

namespace Q4.Data;

public static class LuaScripts
{
    /// <summary>
    /// The text of a Lua script embedded in <paramref name="assembly"/> under <paramref name="resourceName"/>; a
    /// script missing from the build stops the service at once rather than at its first use.
    /// </summary>
    public static string ReadEmbedded(Assembly assembly, string resourceName)
    {
        using var stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"{resourceName} is not embedded in {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Times in Redis (live state, stream fields, script answers) are unix milliseconds.</summary>
    public static DateTimeOffset ParseTime(string milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(milliseconds));
}
