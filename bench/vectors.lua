--- The FACTS.md signing vectors (keys my_public_key / my_private_key).
return {
  private_key = "my_private_key",
  V1 = {
    signature = "971d4ddf582ced461e8dc12c1e82bca2dce3196a",
    params = { Action = "DescribeCompShareImages", Region = "cn-wlcb", Zone = "cn-wlcb-01",
               ImageType = "System", Limit = 20, Offset = 0, PublicKey = "my_public_key" },
  },
  V2 = {
    signature = "6294f676b80c1eb03795d0a373c601d47ed07c65",
    params = { Action = "CreateCompShareInstance", MachineType = "G", CompShareImageId = "compshareImage-xxxx",
               GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536, ChargeType = "Dynamic", Name = "my-instance",
               EnableUS3 = false,
               Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" },
                         { IsBoot = false, Size = 100, Type = "CLOUD_SSD" } },
               Region = "cn-wlcb", Zone = "cn-wlcb-01", PublicKey = "my_public_key" },
  },
  V3 = {
    signature = "722f203236098cf86aeb63e9587ab931b21cb765",
    params = { Action = "PublishCompShareImage", CompShareImageId = "compshareImage-xxxx",
               CommunityImageName = "我的AI环境", Price = 1.5, Tags = { "深度学习", "PyTorch" },
               Softwares = { Applications = { "JupyterLab" }, CUDAVersion = "12.1" },
               Region = "cn-wlcb", Zone = "cn-wlcb-01", PublicKey = "my_public_key" },
  },
}
