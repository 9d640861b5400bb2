--- The signing vectors of ../shared/api/FACTS.md: params, the string to sign (before the
-- private key) and the signature. V1-V5 use my_public_key / my_private_key; `anchor` is the
-- Python SDK's own unit-test vector.
local PK = "my_public_key"
local REGION, ZONE = "cn-wlcb", "cn-wlcb-01"

return {
  {
    name = "V1 ints, simple query",
    private_key = "my_private_key",
    params = { Action = "DescribeCompShareImages", Region = REGION, Zone = ZONE, ImageType = "System",
               Limit = 20, Offset = 0, PublicKey = PK },
    string_to_sign = "ActionDescribeCompShareImagesImageTypeSystemLimit20Offset0PublicKeymy_public_key"
      .. "Regioncn-wlcbZonecn-wlcb-01",
    signature = "971d4ddf582ced461e8dc12c1e82bca2dce3196a",
  },
  {
    name = "V2 nested Disks array of objects + bools",
    private_key = "my_private_key",
    params = { Action = "CreateCompShareInstance", MachineType = "G", CompShareImageId = "compshareImage-xxxx",
               GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536, ChargeType = "Dynamic", Name = "my-instance",
               EnableUS3 = false,
               Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" },
                         { IsBoot = false, Size = 100, Type = "CLOUD_SSD" } },
               Region = REGION, Zone = ZONE, PublicKey = PK },
    string_to_sign = "ActionCreateCompShareInstanceCPU16ChargeTypeDynamicCompShareImageIdcompshareImage-xxxx"
      .. "Disks.0.IsBoottrueDisks.0.Size200Disks.0.TypeCLOUD_SSDDisks.1.IsBootfalseDisks.1.Size100"
      .. "Disks.1.TypeCLOUD_SSDEnableUS3falseGPU1GpuType4090MachineTypeGMemory65536Namemy-instance"
      .. "PublicKeymy_public_keyRegioncn-wlcbZonecn-wlcb-01",
    signature = "6294f676b80c1eb03795d0a373c601d47ed07c65",
  },
  {
    name = "V3 float 1.5, Chinese strings, nested object with array",
    private_key = "my_private_key",
    params = { Action = "PublishCompShareImage", CompShareImageId = "compshareImage-xxxx",
               CommunityImageName = "我的AI环境", Price = 1.5, Tags = { "深度学习", "PyTorch" },
               Softwares = { Applications = { "JupyterLab" }, CUDAVersion = "12.1" },
               Region = REGION, Zone = ZONE, PublicKey = PK },
    string_to_sign = "ActionPublishCompShareImageCommunityImageName我的AI环境CompShareImageIdcompshareImage-xxxx"
      .. "Price1.5PublicKeymy_public_keyRegioncn-wlcbSoftwares.Applications.0JupyterLabSoftwares.CUDAVersion12.1"
      .. "Tags.0深度学习Tags.1PyTorchZonecn-wlcb-01",
    signature = "722f203236098cf86aeb63e9587ab931b21cb765",
  },
  {
    name = "V4 float 0.0 and bool true",
    private_key = "my_private_key",
    params = { Action = "PublishCompShareImage", CompShareImageId = "compshareImage-xxxx", Price = 0.0,
               AutoStart = true, VersionName = "v1.0", Region = REGION, Zone = ZONE, PublicKey = PK },
    string_to_sign = "ActionPublishCompShareImageAutoStarttrueCompShareImageIdcompshareImage-xxxxPrice0"
      .. "PublicKeymy_public_keyRegioncn-wlcbVersionNamev1.0Zonecn-wlcb-01",
    signature = "bd1be8f0c8a2ac4154022ac487a1f16d5a41efda",
  },
  {
    name = "V5 Chinese value, nested object with array",
    private_key = "my_private_key",
    params = { Action = "CreateCompShareCustomImage", UHostId = "uhost-xxxx", Name = "my-custom-env",
               Description = "预装了PyTorch 2.1和CUDA 12.1",
               Softwares = { Application = { "JupyterLab", "SSH" }, Framework = "PyTorch",
                             FrameworkVersion = "2.1", CUDAVersion = "12.1" },
               Region = REGION, Zone = ZONE, PublicKey = PK },
    string_to_sign = "ActionCreateCompShareCustomImageDescription预装了PyTorch 2.1和CUDA 12.1Namemy-custom-env"
      .. "PublicKeymy_public_keyRegioncn-wlcbSoftwares.Application.0JupyterLabSoftwares.Application.1SSH"
      .. "Softwares.CUDAVersion12.1Softwares.FrameworkPyTorchSoftwares.FrameworkVersion2.1UHostIduhost-xxxx"
      .. "Zonecn-wlcb-01",
    signature = "321593e2600d662e9c9a53f48a51a0bd0a7ab009",
  },
  {
    name = "anchor: the Python SDK's unit-test vector",
    private_key = "46f09bb9fab4f12dfc160dae12273d5332b5debe",
    params = { Action = "CreateUHostInstance", CPU = 2, ChargeType = "Month", DiskSpace = 10,
               ImageId = "f43736e1-65a5-4bea-ad2e-8a46e18883c2", LoginMode = "Password", Memory = 2048,
               Name = "Host01", Password = "VUNsb3VkLmNu", Quantity = 1, Region = "cn-bj2", Zone = "cn-bj2-04",
               PublicKey = "ucloudsomeone@example.com1296235120854146120" },
    string_to_sign = "ActionCreateUHostInstanceCPU2ChargeTypeMonthDiskSpace10"
      .. "ImageIdf43736e1-65a5-4bea-ad2e-8a46e18883c2LoginModePasswordMemory2048NameHost01"
      .. "PasswordVUNsb3VkLmNuPublicKeyucloudsomeone@example.com1296235120854146120Quantity1"
      .. "Regioncn-bj2Zonecn-bj2-04",
    signature = "4f9ef5df2abab2c6fccd1e9515cb7e2df8c6bb65",
  },
}
