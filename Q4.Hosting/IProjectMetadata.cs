namespace Q4.Hosting;

/// <summary>A referenced .NET project; the build generates one class per reference in namespace Projects.</summary>
public interface IProjectMetadata
{
    string ProjectPath { get; }

    /// <summary>The built assembly, started with <c>dotnet &lt;AssemblyPath&gt;</c>.</summary>
    string AssemblyPath { get; }
}
