namespace RouterHost.Abstractions;

/// <summary>Contract 3.0, as a future SDK would declare it.</summary>
public static class PluginContract
{
    public const int Major = 3;
    public const int Minor = 0;
    public const string AssemblyName = "RouterHost.Abstractions";
}
