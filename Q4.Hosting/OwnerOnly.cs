using System.Runtime.InteropServices;

namespace Q4.Hosting;

/// <summary>
/// What the AppHost and its children keep on disk (generated passwords, keys, the stores' data, logs, connection
/// strings) belongs to the user who runs it alone. Files and folders are created that way, never created open and
/// narrowed afterwards: in between, anyone on the machine could have opened them.
/// </summary>
internal static partial class OwnerOnly
{
    public const UnixFileMode FilePermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode FolderPermissions = FilePermissions | UnixFileMode.UserExecute;

    /// <summary>
    /// umask 077 for the AppHost and, inherited, for every child: whatever code creates a file (Redis's append-only
    /// file, PostgreSQL's data, the identity provider's database and keys), it gets no group or other permission.
    /// </summary>
    public static void ApplyToProcess() => umask(0b000_111_111);

    public static DirectoryInfo CreateDirectory(string path) => Directory.CreateDirectory(path, FolderPermissions);

    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share) =>
        new(path, new FileStreamOptions { Mode = mode, Access = access, Share = share, UnixCreateMode = FilePermissions });

    /// <summary>
    /// Replaces <paramref name="path"/> with a new file holding <paramref name="contents"/>: written beside it and
    /// renamed over it, so that a reader never sees half a file and the mode of an older file does not carry over.
    /// </summary>
    public static void WriteAllText(string path, string contents)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        using (var writer = new StreamWriter(Open(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None)))
        {
            writer.Write(contents);
        }
        File.Move(temporary, path, overwrite: true);
    }

    [LibraryImport("libc")]
    private static partial uint umask(uint mask);
}
