# A module whose apply runs until it is stopped.
variable "sleep_seconds" {
  type    = number
  default = 3600
}

resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "echo provisioning; sleep ${var.sleep_seconds}"
  }
}
