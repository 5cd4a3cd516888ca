namespace Q4.Hosting;

/// <summary>The AppHost's console: its own messages, and each resource's output behind a coloured prefix.</summary>
internal sealed class ConsoleLog(bool echoResources)
{
    private static readonly ConsoleColor[] Palette =
    [
        ConsoleColor.Cyan, ConsoleColor.Green, ConsoleColor.Magenta, ConsoleColor.Yellow,
        ConsoleColor.Blue, ConsoleColor.DarkCyan, ConsoleColor.DarkGreen, ConsoleColor.DarkMagenta,
    ];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ConsoleColor> _colors = [];
    private int _prefixWidth = 16;

    public void Resource(string name, string line)
    {
        if (echoResources)
        {
            Write(name, line, ColorOf(name));
        }
    }

    /// <summary>Output of an installer: shown even when resources are quiet, it is the progress of a long wait.</summary>
    public void Setup(string line) => Write("setup", line, ConsoleColor.DarkGray);

    public void Info(string message) => Write("q4", message, ConsoleColor.White);

    public void Warn(string message) => Write("q4", message, ConsoleColor.Yellow, toError: true);

    public void Error(string message) => Write("q4", message, ConsoleColor.Red, toError: true);

    private ConsoleColor ColorOf(string name)
    {
        lock (_gate)
        {
            if (!_colors.TryGetValue(name, out var color))
            {
                color = Palette[_colors.Count % Palette.Length];
                _colors[name] = color;
                _prefixWidth = Math.Max(_prefixWidth, name.Length);
            }
            return color;
        }
    }

    private void Write(string prefix, string line, ConsoleColor color, bool toError = false)
    {
        lock (_gate)
        {
            var writer = toError ? Console.Error : Console.Out;
            Console.ForegroundColor = color;
            writer.Write(prefix.PadRight(_prefixWidth));
            writer.Write(" | ");
            if (toError)
            {
                writer.WriteLine(line);
                Console.ResetColor();
            }
            else
            {
                Console.ResetColor();
                writer.WriteLine(line);
            }
        }
    }
}
