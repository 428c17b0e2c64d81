# A module with one built-in resource: no provider to download.
variable "greeting" {
  type    = string
  default = "hello"
}

variable "secret" {
  type    = string
  default = "none"
}

resource "terraform_data" "greeting" {
  input = var.greeting
}

output "greeting" {
  value = terraform_data.greeting.output
}

output "secret" {
  value = var.secret
}
