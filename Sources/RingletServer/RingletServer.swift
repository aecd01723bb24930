// The cloud service.
