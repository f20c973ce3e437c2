using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Plugins.Wintun.Internal;

namespace RouterHost.Plugins.Wintun.Tests;

public sealed class WintunBackendPluginTests
{
    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Interfaces:wt0:Settings");

    [Fact]
    public void The_plugin_is_named_Wintun_and_claims_no_offloads_no_multi_queue_and_no_fd_adoption()
    {
        var attribute = (RouterHostPluginAttribute?)Attribute.GetCustomAttribute(typeof(WintunBackendPlugin), typeof(RouterHostPluginAttribute));
        Assert.Equal("Wintun", attribute?.Name);
        Assert.Equal(BackendCapabilities.None, new WintunBackendPlugin().Capabilities);
    }

    [Fact]
    public void Off_Windows_the_plugin_reports_itself_unsupported_naming_the_platform_requirement()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "on Windows the reason depends on wintun.dll being installed");

        string? reason = new WintunBackendPlugin().UnsupportedReason;

        Assert.NotNull(reason);
        Assert.StartsWith("the Wintun backend needs Windows (the Wintun driver and wintun.dll)", reason, StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            Assert.EndsWith("; on Linux use the LinuxTun backend", reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Off_Windows_Create_throws_PlatformNotSupportedException_with_that_reason()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "this test proves the refusal off Windows");

        var context = new BackendContext("wt0", Section([]), NullLoggerFactory.Instance, 2, 64);
        var error = Assert.Throws<PlatformNotSupportedException>(() => new WintunBackendPlugin().Create(context));
        Assert.Contains("needs Windows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_checks_the_settings_on_any_platform_with_full_key_paths()
    {
        IReadOnlyList<ConfigurationProblem> problems = new WintunBackendPlugin().Validate(Section(new()
        {
            ["Interfaces:wt0:Settings:RingCapacity"] = "1000",
            ["Interfaces:wt0:Settings:Queues"] = "2",
        }));

        Assert.Equal(["Interfaces:wt0:Settings:Queues", "Interfaces:wt0:Settings:RingCapacity"], problems.Select(p => p.Path).Order());
        Assert.Empty(new WintunBackendPlugin().Validate(Section([])));
    }

    [Fact]
    public void The_library_is_looked_for_beside_the_plugin_first_then_by_name_in_the_system_directories()
    {
        Assert.Equal([Path.Combine("/opt/routerhost/plugins/Wintun", "wintun.dll"), "wintun.dll"], WintunLibrary.SearchOrder("/opt/routerhost/plugins/Wintun"));
        Assert.Equal(Path.GetDirectoryName(typeof(WintunBackendPlugin).Assembly.Location), WintunLibrary.PluginDirectory);
    }

    [Theory]
    [InlineData(Architecture.X64, "amd64")]
    [InlineData(Architecture.Arm64, "arm64")]
    [InlineData(Architecture.X86, "x86")]
    [InlineData(Architecture.Arm, "arm")]
    public void Each_process_architecture_takes_wintun_dll_from_its_folder_of_the_Wintun_zip(Architecture architecture, string folder)
    {
        Assert.Equal(folder, WintunLibrary.ZipFolder(architecture));
    }

    [Fact]
    public void Every_function_the_plugin_binds_is_checked_for_before_the_library_is_used()
    {
        string[] bound = [.. typeof(Interop.Wintun).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(m => m.Name.StartsWith("Wintun", StringComparison.Ordinal)).Select(m => m.Name).Distinct().Order()];
        Assert.Equal(bound, WintunLibrary.RequiredExports.Order());
    }

    [Fact]
    public void Win32_errors_are_described_by_name_and_number()
    {
        Assert.StartsWith("ERROR_BUFFER_OVERFLOW (111)", Win32Error.Describe(111), StringComparison.Ordinal);
        Assert.StartsWith("ERROR_HANDLE_EOF (38)", Win32Error.Describe(38), StringComparison.Ordinal);
        Assert.StartsWith("Win32 error (4242)", Win32Error.Describe(4242), StringComparison.Ordinal);
    }
}
