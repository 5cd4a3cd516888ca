using System.Net;
using System.Net.Sockets;

namespace Q4.Hosting;

/// <summary>Hands out loopback ports: the fixed one a resource asks for, or a free one.</summary>
internal sealed class Ports(bool randomOnly)
{
    /// <summary>The lowest port <see cref="Free"/> picks; below it live the well-known servers' defaults.</summary>
    private const int Floor = 10_000;

    private readonly HashSet<int> _given = [];

    public int Allocate(string owner, int? fixedPort = null)
    {
        if (fixedPort is { } port && !randomOnly)
        {
            if (!IsFree(port))
            {
                throw new AppHostException(
                    $"Port {port} for '{owner}' is already in use. Stop whatever listens there " +
                    $"(`ss -ltnp 'sport = :{port}'` shows it), or start with `--random-ports true`.");
            }
            _given.Add(port);
            return port;
        }

        while (true)
        {
            var free = Free();
            if (_given.Add(free))
            {
                return free;
            }
        }
    }

    /// <summary>
    /// A loopback port nothing listens on, picked below the kernel's ephemeral range. A port the kernel
    /// handed out for <c>bind(0)</c> comes from that range, and so does the local port of every outgoing
    /// connection: between the pick and the moment a process binds it (seconds, for a service that
    /// waits for its stores), a client connection could take it and the service fails to start.
    /// </summary>
    public static int Free()
    {
        var ephemeralLow = EphemeralLow();
        for (var attempt = 0; attempt < 100 && ephemeralLow - Floor > 1_000; attempt++)
        {
            var port = Random.Shared.Next(Floor, ephemeralLow);
            if (IsFree(port))
            {
                return port;
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux's file; IANA's 49152 elsewhere).</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0]);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return 49_152;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
