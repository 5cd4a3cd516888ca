using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

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

/// <summary>
/// An embedded Lua script, sent once and then run by its SHA1 (EVALSHA). Redis forgets scripts when it restarts; on
/// NOSCRIPT the script is sent again in full (EVAL, which also caches it) and EVALSHA works from then on.
/// </summary>
public sealed class EmbeddedLuaScript
{
    private readonly string _source;
    private readonly byte[] _sha1;

    public EmbeddedLuaScript(Assembly assembly, string resourceName)
    {
        _source = LuaScripts.ReadEmbedded(assembly, resourceName);
        _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(_source));
    }

    public async Task<RedisResult> EvaluateAsync(IDatabase db, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await db.ScriptEvaluateAsync(_sha1, keys, values);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(_source, keys, values);
        }
    }
}
