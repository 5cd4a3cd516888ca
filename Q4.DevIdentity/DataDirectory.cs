namespace Q4.DevIdentity;

/// <summary>The folder that keeps keys and the database between runs.</summary>
internal static class DataDirectory
{
    public static string Resolve(DevIdentityOptions options, IHostEnvironment environment) =>
        Directory.CreateDirectory(Path.GetFullPath(options.DataDirectory, environment.ContentRootPath)).FullName;

    public static string RealmFile(DevIdentityOptions options, IHostEnvironment environment) =>
        Path.GetFullPath(options.RealmFile, environment.ContentRootPath);
}
