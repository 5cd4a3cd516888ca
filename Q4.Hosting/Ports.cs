using System.Net;
using System.Net.Sockets;

namespace Q4.Hosting;

/// <summary>Hands out loopback ports: the fixed one a resource asks for, or a free one.</summary>
internal sealed class Ports(bool randomOnly)
{
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
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var free = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (_given.Add(free))
            {
                return free;
            }
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
